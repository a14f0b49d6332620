/* html_page.h: the shell every HTML page shares: inline style, the few
 * lines of script that sort tables and switch flame graphs.  Nothing is
 * fetched: the page works offline. */
#ifndef RETAIN_CLI_HTML_PAGE_H
#define RETAIN_CLI_HTML_PAGE_H
#include <stdio.h>

void html_page_start(FILE *fp, const char *title);
void html_page_end(FILE *fp);
#endif
