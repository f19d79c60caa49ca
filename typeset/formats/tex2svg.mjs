// TeX to SVG with MathJax 4 and the STIX Two font, for the PDF writer (typeset/mathjax.py
// runs it, once per build, with every equation not already in the cache).
//
//   stdin:  {"node_modules": "/path/to/node_modules",
//            "equations": [{"tex": "a^2", "display": false}, ...]}
//   stdout: [{"svg": "<svg ...>...</svg>"} | {"error": "Missing close brace"}, ...]
//
// One result per equation, in order: a TeX error in one equation is reported for that
// equation and the others are still rendered.

import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';

const request = JSON.parse(readFileSync(0, 'utf8'));
const nodeModules = request.node_modules;
const {default: MathJax} = await import(
  pathToFileURL(join(nodeModules, 'mathjax', 'node-main.mjs')).href
);

await MathJax.init({
  loader: {
    // mathtools for multlined, which typeset/formats/math_svg.py puts in place of multline.
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

const results = [];
for (const {tex, display} of request.equations) {
  try {
    const container = await MathJax.tex2svgPromise(tex, {display});
    const svg = adaptor.serializeXML(adaptor.firstChild(container));
    results.push({svg: svg.replace(DATA_ATTRIBUTE, '')});
  } catch (error) {
    results.push({error: String(error && error.message ? error.message : error)});
  }
}
process.stdout.write(JSON.stringify(results));
