// The built portal in a real browser: Debian's Chromium, driven by
// playwright-core (which never downloads a browser of its own).
//
//   node tool/tests/js/portal-browser.cjs <repository root> <site dir> <screenshot dir>
//
// Opens the portal from file:// as a new developer would, searches the
// catalog, follows a service link and checks what the pages say against
// the intents themselves (read here with a YAML parser, not with paved);
// then visits every page: no broken link or anchor, no console error, no
// request leaving the machine, and no axe-core accessibility violation.
// Writes screenshots of the catalog, a service page and the graph.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const YAML = require("yaml");
const { chromium } = require("playwright-core");

const [root, siteDir, shots] = process.argv.slice(2).map((p) => p && path.resolve(p));
if (!root || !siteDir || !shots) {
  console.error("usage: node portal-browser.cjs <repository root> <site dir> <screenshot dir>");
  process.exit(2);
}
const axeSource = require.resolve("axe-core/axe.min.js");
const failures = [];
const fail = (message) => failures.push(message);
const check = (condition, message) => {
  if (!condition) fail(message);
};
let passed = 0;
const step = (name) => {
  passed += 1;
  console.log(`ok ${passed} - ${name}`);
};

// What the intents say.
const services = {};
const teams = {};
for (const team of fs.readdirSync(path.join(root, "teams")).sort()) {
  const teamFile = path.join(root, "teams", team, "team.yaml");
  if (!fs.existsSync(teamFile)) continue;
  teams[team] = YAML.parse(fs.readFileSync(teamFile, "utf8"));
  const dir = path.join(root, "teams", team, "services");
  for (const file of fs.readdirSync(dir).sort()) {
    if (!file.endsWith(".yaml")) continue;
    const intent = YAML.parse(fs.readFileSync(path.join(dir, file), "utf8"));
    if (!intent || intent.kind !== "Service") continue;
    services[intent.name] = { ...intent, team };
  }
}
const environments = {};
for (const file of fs.readdirSync(path.join(root, "environments")).sort()) {
  const env = YAML.parse(fs.readFileSync(path.join(root, "environments", file), "utf8"));
  environments[env.name] = env;
}

const url = (relative) => "file://" + path.join(siteDir, relative);

(async () => {
  fs.mkdirSync(shots, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "paved-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport: { width: 1400, height: 1000 },
  });
  const page = context.pages()[0] || (await context.newPage());
  const consoleErrors = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
  page.on("request", (request) => {
    if (!request.url().startsWith("file://")) fail(`${page.url()} requested ${request.url()}: the portal must work offline`);
  });

  // 1. The catalog: every service listed; search and filters narrow it.
  await page.goto(url("index.html"));
  const names = Object.keys(services).sort();
  const rows = await page.$$eval("#catalog tbody tr", (trs) => trs.map((tr) => tr.querySelector("th").textContent.trim()));
  check(JSON.stringify(rows) === JSON.stringify(names), `the catalog lists ${rows.join(", ")}, the intents ${names.join(", ")}`);
  const visible = () => page.$$eval("#catalog tbody tr", (trs) => trs.filter((tr) => !tr.hidden).map((tr) => tr.querySelector("th").textContent.trim()));
  const target = names.includes("ledger") ? "ledger" : names[0];
  await page.fill("#q", target);
  const found = await visible();
  check(found.includes(target), `searching for ${target} shows ${found.join(", ")}`);
  check(found.length < names.length, `searching for ${target} hides nothing`);
  await page.fill("#q", "");
  const someTeam = services[target].team;
  await page.selectOption("#team", someTeam);
  const ofTeam = await visible();
  const expected = names.filter((n) => services[n].team === someTeam);
  check(JSON.stringify(ofTeam) === JSON.stringify(expected), `team ${someTeam} shows ${ofTeam.join(", ")}, its intents are ${expected.join(", ")}`);
  const status = await page.textContent("#count");
  check(status.startsWith(`${expected.length} service`), `the count says "${status}"`);
  await page.selectOption("#team", "");
  await page.fill("#q", someTeam);
  await page.screenshot({ path: path.join(shots, "catalog.png"), fullPage: true });
  step("the catalog lists every service, and search and filters narrow it");

  // 2. Follow a service link; the page says what the intent says.
  await page.fill("#q", target);
  await Promise.all([page.waitForNavigation(), page.click(`#catalog tbody tr:not([hidden]) th a >> text="${target}"`)]);
  check(page.url().endsWith(`/services/${target}.html`), `the link led to ${page.url()}`);
  const intent = services[target];
  const text = await page.textContent("main");
  check((await page.textContent("h1")).trim() === target, "the heading names the service");
  if (intent.description) check(text.includes(intent.description), "the description is shown");
  for (const owner of teams[intent.team].owners) check(text.includes(owner), `owner ${owner} is shown`);
  check(text.includes(intent.goldenPath), "the golden path is shown");
  for (const [env, spec] of Object.entries(intent.environments)) {
    const release = (spec && (spec.tag || spec.digest)) || intent.tag || intent.digest;
    if (release) {
      const shown = release.startsWith("sha256:") ? release.slice(0, 19) : release;
      check(text.includes(shown), `the release in ${env} (${release}) is shown`);
    }
    for (const cluster of Object.keys(environments[env].clusters)) check(text.includes(cluster), `cluster ${cluster} is shown`);
  }
  for (const dependency of intent.dependsOn || []) {
    check((await page.$(`#deps ~ dl a[href$="${dependency}.html"]`)) !== null, `dependency ${dependency} is linked`);
  }
  const dependents = Object.values(services).filter((s) => (s.dependsOn || []).includes(target)).map((s) => s.name);
  for (const dependent of dependents) check(text.includes(dependent), `dependent ${dependent} is shown`);
  await page.screenshot({ path: path.join(shots, "service.png"), fullPage: true });
  step(`the page of ${target} agrees with its intent`);

  // 3. The graph.
  await page.goto(url("graph.html"));
  const boxes = await page.$$eval("figure.graph svg .nodes rect", (r) => r.length);
  check(boxes === names.length, `the graph draws ${boxes} services of ${names.length}`);
  await page.screenshot({ path: path.join(shots, "graph.png"), fullPage: true });
  step("the dependency graph draws every service");

  // 4. Site search finds pages.
  await page.goto(url("search.html"));
  await page.fill("#site-q", target);
  const results = await page.$$eval("#site-results a", (as) => as.map((a) => a.textContent));
  check(results.includes(target), `site search for ${target} found ${results.join(", ")}`);
  step("the site search finds the service");

  // 5. Every page: links, anchors, console, accessibility.
  const seen = new Set();
  const queue = ["index.html"];
  const ids = {};
  const anchors = [];
  let pages = 0;
  while (queue.length) {
    const relative = queue.shift();
    if (seen.has(relative)) continue;
    seen.add(relative);
    await page.goto(url(relative));
    pages += 1;
    const links = await page.$$eval("a[href]", (as) => as.map((a) => a.getAttribute("href")));
    ids[relative] = new Set(await page.$$eval("[id]", (els) => els.map((e) => e.id)));
    for (const href of links) {
      if (/^(https?:|mailto:)/.test(href)) continue;
      const [file, fragment] = href.split("#");
      const resolved = file ? path.posix.normalize(path.posix.join(path.posix.dirname(relative), file)) : relative;
      if (!fs.existsSync(path.join(siteDir, resolved))) {
        fail(`${relative}: broken link ${href}`);
        continue;
      }
      if (resolved.endsWith(".html")) {
        queue.push(resolved);
        if (fragment) anchors.push(`${resolved}#${fragment}`);
      }
    }
    await page.addScriptTag({ path: axeSource });
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { preload: false, runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
      return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")}`);
    });
    for (const violation of violations) fail(`${relative}: ${violation}`);
    const landmarks = await page.evaluate(() => ({
      main: document.querySelectorAll("main").length,
      nav: document.querySelectorAll("nav").length,
      h1: document.querySelectorAll("h1").length,
      lang: document.documentElement.lang,
    }));
    check(landmarks.main === 1 && landmarks.nav >= 1 && landmarks.h1 === 1 && landmarks.lang === "en", `${relative}: landmarks ${JSON.stringify(landmarks)}`);
  }
  // Anchors checked once every page's ids are known.
  for (const entry of anchors) {
    const [file, fragment] = entry.split("#");
    if (fragment && ids[file] && !ids[file].has(decodeURIComponent(fragment))) fail(`broken anchor ${entry}`);
  }
  for (const error of consoleErrors) fail(`console error: ${error}`);
  step(`${pages} pages: no broken link, console error or accessibility violation`);

  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
  if (failures.length) {
    for (const failure of failures) console.error(`not ok: ${failure}`);
    console.log(`${passed - 1} passed, ${failures.length} failed`);
    process.exit(1);
  }
  console.log(`Screenshots in ${shots}: catalog.png, service.png, graph.png`);
  console.log(`${passed} passed, 0 failed`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
