// Render CSL items with citeproc-js (npm `citeproc`, the processor Zotero uses), as the
// reference the project's citation engines are checked against (tools/citeproc_js_check.py).
//
// stdin: a list of requests, each {"style": CSL XML, "lang": "en-US", "locales": folder
//        of locales-*.xml, "items": [CSL-JSON items],
//        "citations": [[{"id": ..., "locator": ..., "label": ...}, ...], ...]}
// stdout: the list of results, each {"bibliography": [[id, html], ...],
//         "citations": [html, ...]} or {"error": message}
"use strict";

const fs = require("fs");
const path = require("path");
const CSL = require("citeproc");

function main(request) {
  const items = new Map(request.items.map((item) => [String(item.id), item]));
  const sys = {
    retrieveLocale(lang) {
      const file = path.join(request.locales, `locales-${lang}.xml`);
      return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : false;
    },
    retrieveItem(id) {
      return items.get(String(id));
    },
  };
  const engine = new CSL.Engine(sys, request.style, request.lang, true);
  engine.setOutputFormat("html");
  const citations = [];
  let noteIndex = 0;
  for (const cluster of request.citations || []) {
    noteIndex += 1;
    const citation = {
      citationItems: cluster.map((item) => ({ ...item, id: String(item.id) })),
      properties: { noteIndex },
    };
    const [, rendered] = engine.processCitationCluster(citation, [], []);
    citations.push(rendered.length ? rendered[rendered.length - 1][1] : "");
  }
  engine.updateItems([...items.keys()]);
  let bibliography = [];
  if (engine.bibliography && engine.bibliography.tokens.length) {
    const [params, entries] = engine.makeBibliography();
    bibliography = params.entry_ids.map((ids, index) => [String(ids[0]), entries[index]]);
  }
  return { citations, bibliography };
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const results = JSON.parse(input).map((request) => {
    try {
      return main(request);
    } catch (error) {
      return { error: String(error && error.stack ? error.stack : error) };
    }
  });
  process.stdout.write(JSON.stringify(results));
});
