// Validates a speedscope file against the schema speedscope ships
// (node_modules/speedscope/dist/release/file-format-schema.json) with ajv.
// usage: node check_speedscope.js FILE.json   -> prints "ok" or the errors, exit 1
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');
const schema = JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules', 'speedscope', 'dist',
  'release', 'file-format-schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);
const data = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
if (validate(data)) {
  // The schema cannot say that frame indices exist: check those too.
  const nframes = data.shared.frames.length;
  for (const p of data.profiles) {
    if (p.type !== 'sampled') continue;
    if (p.samples.length !== p.weights.length) { console.log(`${p.name}: ${p.samples.length} samples, ${p.weights.length} weights`); process.exit(1); }
    for (const s of p.samples) for (const i of s)
      if (!(i >= 0 && i < nframes)) { console.log(`${p.name}: frame index ${i} of ${nframes}`); process.exit(1); }
  }
  console.log('ok');
} else {
  console.log(JSON.stringify(validate.errors.slice(0, 5)));
  process.exit(1);
}
