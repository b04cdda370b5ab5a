// Opens the batch report page in headless Debian Chromium (driven by playwright-core, never a
// downloaded browser) and checks what a person would see. Usage:
//   node check.mjs PAGE.html SCREENSHOT.png JOBS THUMBNAILS
// for a cfg × steps sweep (cfg first) where JOBS - THUMBNAILS jobs failed.
// Exits non-zero with a message on the first failed check.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [page_path, shot_path, jobs_arg, thumbs_arg] = process.argv.slice(2);
const expected = Number(jobs_arg);
const thumbs = Number(thumbs_arg);
const fail = (msg) => { console.error(`FAIL: ${msg}`); process.exitCode = 1; throw new Error(msg); };
const ok = (msg) => console.log(`ok: ${msg}`);

const profile = mkdtempSync(join(tmpdir(), "comfyctl-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1100, height: 900 },
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = context.pages()[0] ?? await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  const fetched = [];
  page.on("request", (r) => { if (!/^(file|data):/.test(r.url())) fetched.push(r.url()); });
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));

  const url = pathToFileURL(resolve(page_path)).href;
  await page.goto(url, { waitUntil: "load" });
  if (problems.length) fail(problems.join("; "));
  ok("loaded from file:// with no console errors");
  if (fetched.length) fail(`the page fetched from the network: ${fetched.join(", ")}`);
  ok("no network fetches");

  const visibleThumbs = () => page.locator(".job:visible img.thumb").evaluateAll(
    (imgs) => imgs.filter((i) => i.complete && i.naturalWidth > 0).length);
  const n = await visibleThumbs();
  if (n !== thumbs) fail(`${n} thumbnails shown, expected ${thumbs}`);
  ok(`${n} thumbnails shown and decoded`);
  const errors = await page.locator(".job:visible .error").count();
  if (errors !== expected - thumbs) fail(`${errors} errors shown, expected ${expected - thumbs}`);
  ok(`${errors} failed job(s) shown with the error`);
  const shown = await page.locator("#shown").textContent();
  if (shown !== `${expected} of ${expected} jobs shown`) fail(`counter says "${shown}"`);

  // Untick cfg = 7: exactly the cfg = 7 jobs disappear, cards and grid cells alike.
  const cfg7 = page.locator("fieldset", { hasText: "cfg" }).getByLabel("7", { exact: true });
  await cfg7.uncheck();
  const visible = await page.locator(".job:visible").evaluateAll((els) => els.map((e) => e.id));
  const wanted = await page.locator(".job[data-d0='0']").evaluateAll((els) => els.map((e) => e.id));
  if (JSON.stringify(visible) !== JSON.stringify(wanted) || wanted.length !== expected / 2)
    fail(`after unticking cfg=7: visible ${visible}, expected ${wanted}`);
  const hiddenCfg7 = await page.locator(".job[data-d0='1']").evaluateAll((els) => els.every((e) => e.hidden));
  const gridLeft = await page.locator(".gcell:visible").count();
  if (!hiddenCfg7 || gridLeft !== expected / 2) fail(`cfg=7 jobs not all hidden (grid cells left: ${gridLeft})`);
  const shown2 = await page.locator("#shown").textContent();
  if (shown2 !== `${expected / 2} of ${expected} jobs shown`) fail(`counter says "${shown2}"`);
  ok(`unticking cfg=7 hides exactly its ${expected / 2} jobs and grid cells ("${shown2}")`);
  await cfg7.check();
  if ((await visibleThumbs()) !== thumbs) fail("ticking it again does not bring them back");
  ok("ticking it again shows all jobs");

  // Untick status "failed": exactly the failed jobs disappear.
  const failedBox = page.locator("fieldset", { hasText: "status" }).getByLabel("failed", { exact: true });
  await failedBox.uncheck();
  const left = await page.locator(".job:visible").evaluateAll((els) => els.map((e) => e.dataset.status));
  if (left.length !== thumbs || left.some((s) => s === "failed")) fail(`after unticking failed: ${left}`);
  ok(`unticking status "failed" leaves the ${left.length} successful jobs`);
  await failedBox.check();

  await page.screenshot({ path: shot_path, fullPage: true });
  // Non-blank: decode the screenshot in the browser and count its colours.
  const b64 = (await import("node:fs")).readFileSync(shot_path).toString("base64");
  const colours = await page.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const c = document.createElement("canvas");
    c.width = img.width; c.height = img.height;
    const g = c.getContext("2d");
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4 * 7) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return { w: c.width, h: c.height, colours: seen.size };
  }, `data:image/png;base64,${b64}`);
  if (colours.colours < 100) fail(`the screenshot looks blank: ${JSON.stringify(colours)}`);
  ok(`screenshot ${shot_path}: ${colours.w}x${colours.h}, ${colours.colours} colours`);

  // A thumbnail opens its full image (a relative link next to the page).
  const href = await page.locator(".job a").first().getAttribute("href");
  await page.locator(".job a").first().click();
  await page.waitForLoadState("load");
  const full = await page.evaluate(() => {
    const i = document.querySelector("img");
    return i ? { w: i.naturalWidth, url: location.href } : null;
  });
  if (!full || full.w <= 0 || !full.url.endsWith(href.split("/").pop())) fail(`clicking the thumbnail gave ${JSON.stringify(full)}`);
  ok(`clicking a thumbnail opens ${href} (${full.w} px wide)`);
  if (problems.length) fail(problems.join("; "));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
