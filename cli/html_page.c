/* html_page.c: page shell, style and script. */
#include "html_page.h"
#include "fmt.h"

static const char style[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1280px;"
    "padding:0 20px 40px;color:#1d2430;background:#fbfbfd}\n"
    "h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;margin:26px 0 8px;border-bottom:1px solid #dde}"
    "h3{font-size:15px;margin:0 0 6px}\n"
    "code,.mono{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12.5px}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}"
    ".card{background:#fff;border:1px solid #dde;border-radius:6px;padding:8px 12px;min-width:120px}"
    ".card b{display:block;font-size:18px}.card span{color:#667;font-size:12px}\n"
    ".finding{background:#fff;border:1px solid #dde;border-left:4px solid #c0392b;border-radius:6px;"
    "padding:12px 16px;margin:14px 0}\n"
    ".finding .facts{color:#445;margin:4px 0 8px}.advice{background:#f3f7ee;border-radius:4px;padding:6px 10px}\n"
    ".row{display:flex;flex-wrap:wrap;gap:16px}.row>div{flex:1 1 420px;min-width:0}\n"
    "ol.stack{margin:4px 0;padding-left:28px}ol.stack li{margin:1px 0;word-break:break-all}"
    "ol.stack .where{color:#667}details>summary{cursor:pointer}ol.inl{color:#556;padding-left:22px}\n"
    "table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #dde;padding:3px 8px;"
    "text-align:left;vertical-align:top}th{background:#eef0f6;cursor:pointer;user-select:none}"
    "td.num{text-align:right;white-space:nowrap}\n"
    "th.asc::after{content:' \\25B2'}th.desc::after{content:' \\25BC'}\n"
    ".tabs button{font:inherit;border:1px solid #99a;background:#fff;border-radius:4px;padding:3px 10px;"
    "margin-right:6px;cursor:pointer}.tabs button.on{background:#2c3e70;color:#fff}\n"
    "svg text{font-family:system-ui,sans-serif}.flame rect{stroke:#fff;stroke-width:.5}"
    ".flame g{cursor:pointer}.flame text{font-size:11px;pointer-events:none}.errors{color:#a00}\n"
    ".change-new td:first-child{color:#c0392b;font-weight:bold}.change-gone td:first-child{color:#27ae60}\n";

static const char script[] =
    "document.querySelectorAll('table.sortable th').forEach(function(th){th.addEventListener('click',"
    "function(){var t=th.closest('table'),b=t.tBodies[0],i=th.cellIndex,d=th.classList.contains('asc')?-1:1;"
    "t.querySelectorAll('th').forEach(function(h){h.classList.remove('asc','desc')});"
    "th.classList.add(d>0?'asc':'desc');var rows=Array.prototype.slice.call(b.rows);"
    "rows.sort(function(x,y){var a=x.cells[i],c=y.cells[i],p=a.dataset.v,q=c.dataset.v;"
    "if(p!==undefined&&q!==undefined)return d*(Number(p)-Number(q));"
    "return d*a.textContent.localeCompare(c.textContent)});rows.forEach(function(r){b.appendChild(r)})})});\n"
    "document.querySelectorAll('.tabs button').forEach(function(btn){btn.addEventListener('click',function(){"
    "document.querySelectorAll('.tabs button').forEach(function(o){o.classList.toggle('on',o===btn)});"
    "document.querySelectorAll('.flame').forEach(function(g){g.style.display=g.id===btn.dataset.show?'':'none'})})});\n"
    /* click a frame: it fills the width, its callers span it, the rest hide; click the root to go back */
    "document.querySelectorAll('.flame svg').forEach(function(svg){var W=svg.viewBox.baseVal.width,"
    "gs=Array.prototype.slice.call(svg.querySelectorAll('g'));function zoom(x0,w0,d0){gs.forEach(function(g){"
    "var x=+g.dataset.x,w=+g.dataset.w,d=+g.dataset.d,r=g.querySelector('rect'),t=g.querySelector('text'),e=1e-6;"
    "var inside=d>=d0&&x>=x0-e&&x+w<=x0+w0+e,above=d<d0&&x<=x0+e&&x+w>=x0+w0-e;"
    "if(!inside&&!above){g.style.display='none';return}g.style.display='';"
    "var nx=above?0:(x-x0)*W/w0,nw=above?W:w*W/w0,l=g.dataset.l,fit=Math.floor((nw-6)/6.2);"
    "r.setAttribute('x',nx);r.setAttribute('width',nw);t.setAttribute('x',nx+3);"
    "t.textContent=nw<36?'':(l.length>fit?l.slice(0,Math.max(0,fit-2))+'..':l)})}"
    "gs.forEach(function(g){g.addEventListener('click',function(){zoom(+g.dataset.x,+g.dataset.w,+g.dataset.d)})})});\n";

void html_page_start(FILE *fp, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n<title>", fp);
    html_escape(fp, title);
    fprintf(fp, "</title>\n<style>\n%s</style>\n</head><body>\n", style);
}

void html_page_end(FILE *fp)
{
    fprintf(fp, "<script>\n%s</script>\n</body></html>\n", script);
}
