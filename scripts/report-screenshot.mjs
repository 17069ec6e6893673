// Screenshots an fl-run HTML report in a real browser (headless Chromium) at 1280 px and checks the
// page does not scroll sideways. Not part of `npm test` (CI has no browser).
//
//   npm run report:screenshot -- [report.html] [--out shot.png] [--width 1280] [--height 900] [--full]
//
// Without a report path it takes the newest .flai/reports/*.html under the current folder. --full
// makes the window as tall as the page, so one PNG shows all of it. Chromium comes from the system
// (Debian: apt-get install -y chromium); CHROMIUM=/path/to/binary picks another one.
// Exit code 1 when the page is wider than the window (horizontal scrolling), 2 on usage errors.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

function parseArgs(argv) {
  const opts = { report: undefined, out: undefined, width: 1280, height: 900, full: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out") opts.out = argv[++i];
    else if (a === "--width") opts.width = Number(argv[++i]);
    else if (a === "--height") opts.height = Number(argv[++i]);
    else if (a === "--full") opts.full = true;
    else if (a.startsWith("--")) fail(`unknown option ${a}`);
    else opts.report = a;
  }
  for (const key of ["width", "height"]) {
    if (!(Number.isInteger(opts[key]) && opts[key] > 0)) fail(`--${key} must be a whole number of pixels > 0`);
  }
  return opts;
}

function fail(message) {
  console.error(`report-screenshot: ${message}`);
  process.exit(2);
}

function newestReport(dir) {
  if (!existsSync(dir)) fail(`no report given and ${dir} does not exist; run npx hardhat flai:fl-run first or pass a report path`);
  const reports = readdirSync(dir)
    .filter((f) => f.endsWith(".html"))
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (reports.length === 0) fail(`no .html report in ${dir}`);
  return reports[0];
}

function findChromium() {
  const candidates = [process.env.CHROMIUM, "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"].filter(Boolean);
  for (const name of candidates) {
    try {
      execFileSync(name, ["--version"], { stdio: "ignore" });
      return name;
    } catch {
      // try the next one
    }
  }
  fail(`no Chromium found (tried ${candidates.join(", ")}); install it (Debian: apt-get install -y chromium) or set CHROMIUM`);
}

const BASE_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1", "--no-first-run"];

/**
 * The page's laid-out size at this window width: a copy of the report with a one-line script that
 * writes document.scrollWidth/scrollHeight into the DOM, read back with --dump-dom. The report
 * itself stays script-free.
 */
function measure(chromium, report, width, height) {
  const dir = mkdtempSync(path.join(tmpdir(), "flai-shot-"));
  try {
    const probe = path.join(dir, "probe.html");
    const script = `<script>addEventListener("load",()=>{const e=document.documentElement;document.body.insertAdjacentHTML("beforeend",'<pre id="flai-size">'+e.scrollWidth+"x"+e.scrollHeight+"</pre>")})</script>`;
    writeFileSync(probe, readFileSync(report, "utf8").replace("</body>", `${script}</body>`));
    const dom = execFileSync(
      chromium,
      [...BASE_FLAGS, `--window-size=${width},${height}`, "--virtual-time-budget=2000", "--dump-dom", pathToFileURL(probe).href],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    const m = /<pre id="flai-size">(\d+)x(\d+)<\/pre>/.exec(dom);
    if (!m) throw new Error("Chromium did not report the page size");
    return { width: Number(m[1]), height: Number(m[2]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const opts = parseArgs(process.argv.slice(2));
const report = path.resolve(opts.report ?? newestReport(path.join(process.cwd(), ".flai", "reports")));
if (!existsSync(report)) fail(`${report} does not exist`);
const chromium = findChromium();
const size = measure(chromium, report, opts.width, opts.height);
const out = path.resolve(opts.out ?? report.replace(/\.html?$/i, "") + `-${opts.width}px.png`);
const shotHeight = opts.full ? size.height : opts.height;
execFileSync(chromium, [...BASE_FLAGS, `--window-size=${opts.width},${shotHeight}`, `--screenshot=${out}`, pathToFileURL(report).href], {
  stdio: "ignore",
});
console.log(
  `${path.relative(process.cwd(), out)}: ${opts.width}×${shotHeight} px of ${path.relative(process.cwd(), report)} (page ${size.width}×${size.height} px)`,
);
if (size.width > opts.width) {
  console.error(`report-screenshot: the page is ${size.width} px wide at a ${opts.width} px window: it scrolls horizontally`);
  process.exit(1);
}
console.log(`no horizontal scrolling at ${opts.width} px`);
