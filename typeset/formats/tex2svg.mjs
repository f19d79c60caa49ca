// TeX to SVG with MathJax 4 and the STIX Two font, for the PDF writer (typeset/mathjax.py
// runs it, once per build, with every equation not already in the cache).
//
//   node tex2svg.mjs /path/to/node_modules
//   stdin:  one line: [{"tex": "a^2", "display": false}, ...]
//   stdout: one line per equation, in order, as each is done:
//           {"svg": "<svg ...>...</svg>"} or {"error": "Missing close brace"}
//
// MathJax is loaded before stdin is read, so the build can start this process early and
// send the equations once the manuscript is parsed. The request is one line, not all of
// stdin: a process the build forks meanwhile holds a copy of the pipe, so its end would
// not come until that process ends. A TeX error in one equation is reported for that
// equation and the others are still rendered.

import {createInterface} from 'node:readline';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';

const nodeModules = process.argv[2];
const {default: MathJax} = await import(
  pathToFileURL(join(nodeModules, 'mathjax', 'node-main.mjs')).href
);

await MathJax.init({
  loader: {
    // mathtools for multlined, which typeset/formats/pdf/math.py puts in place of multline.
    load: ['input/tex', 'output/svg', '[tex]/mathtools'],
    paths: {'mathjax-stix2': join(nodeModules, '@mathjax', 'mathjax-stix2-font')},
    // The font package is versioned apart from MathJax (4.1.0 beside 4.1.3): not a fault.
    versionWarnings: false,
  },
  output: {
    font: 'mathjax-stix2',
    // WeasyPrint 70 draws only the first of several SVGs that share one <defs>, which is
    // what MathJax's inline line breaking produces: "+" and "=" went missing.
    linebreaks: {inline: false},
  },
  svg: {
    // Paths inline in each SVG: no ids, so equations rendered by different builds (and
    // served from the cache side by side) cannot collide in one HTML document.
    fontCache: 'none',
  },
  tex: {
    // Without noundefined, an unknown macro is printed in red instead of failing.
    packages: {'[+]': ['mathtools'], '[-]': ['noundefined']},
    formatError(jax, error) {
      throw error;
    },
  },
  startup: {typeset: false},
});

const adaptor = MathJax.startup.adaptor;
// MathJax marks every node with data-* attributes (the TeX it came from, the MathML node
// kind) that a static picture does not need; they only make the HTML bigger.
const DATA_ATTRIBUTE = / data-[a-z-]+="[^"]*"/g;

async function firstLine() {
  const lines = createInterface({input: process.stdin, crlfDelay: Infinity});
  for await (const line of lines) {
    lines.close();
    process.stdin.destroy();
    return line;
  }
  return '[]';
}

const equations = JSON.parse(await firstLine());
for (const {tex, display} of equations) {
  let result;
  try {
    const container = await MathJax.tex2svgPromise(tex, {display});
    const svg = adaptor.serializeXML(adaptor.firstChild(container));
    result = {svg: svg.replace(DATA_ATTRIBUTE, '')};
  } catch (error) {
    result = {error: String(error && error.message ? error.message : error)};
  }
  // JSON.stringify escapes newlines inside strings: one result is one line.
  process.stdout.write(JSON.stringify(result) + '\n');
}
