// The stage-8 chat in a real browser: Debian's Chromium, driven by
// puppeteer-core (tests/browser/package.json; tools/setup.sh installs it,
// no browser is ever downloaded). Lesson 8's claim, checked end to end:
// two pages long-poll one server, a message typed in one appears in the
// other, and the pages keep working after the server's long-poll timeout
// has released their parked requests.
//
//     node chat_browser.mjs URL --poll-timeout SECONDS [--bound SECONDS]
//
// URL is the chat page (http://127.0.0.1:PORT/chat/); SECONDS is the
// server's --poll-timeout. One line per check ("ok ..." or "FAIL ..."),
// exit status 0 only when every check passed. tests/browser/test_chat_browser.py
// starts the servers and runs this.
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import puppeteer from "puppeteer-core";

const usage = "usage: node chat_browser.mjs URL --poll-timeout SECONDS [--bound SECONDS]";

function parseArguments(argv) {
  const options = {url: null, pollTimeout: null, bound: 5};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--poll-timeout" || argv[i] === "--bound") {
      const seconds = Number(argv[++i]);
      if (!Number.isFinite(seconds) || seconds <= 0) {
        throw new Error(`${argv[i - 1]} needs a number of seconds`);
      }
      options[argv[i - 1] === "--bound" ? "bound" : "pollTimeout"] = seconds;
    } else if (options.url === null) {
      options.url = new URL(argv[i]).href;
    } else {
      throw new Error(`unexpected argument '${argv[i]}'`);
    }
  }
  if (options.url === null || options.pollTimeout === null) {
    throw new Error("the URL and --poll-timeout are required");
  }
  return options;
}

let options;
try {
  options = parseArguments(process.argv.slice(2));
} catch (error) {
  console.error(`chat_browser: ${error.message}\n${usage}`);
  process.exit(2);
}

// The whole run is bounded: a hung browser or server fails, never waits.
const budgetMs = (options.pollTimeout * 2 + options.bound * 6 + 30) * 1000;
const watchdog = setTimeout(() => {
  console.log(`FAIL the run did not finish within ${budgetMs / 1000} s`);
  process.exit(1);
}, budgetMs);

let failures = 0;
function check(passed, what, detail = "") {
  console.log(`${passed ? "ok  " : "FAIL"} ${what}${detail ? ` (${detail})` : ""}`);
  if (!passed) {
    failures++;
  }
  return passed;
}

// Opens the chat in a new tab and records what a test needs to see: the
// page's own errors, and how its long polls were answered.
async function openChat(browser, name) {
  const page = await browser.newPage();
  const chat = {name, page, errors: [], pollStatuses: []};
  page.on("pageerror", (error) => chat.errors.push(error.message));
  page.on("requestfailed", (request) => {
    // A long poll cut short when the page closes at the end is no failure.
    if (!request.url().includes("/chat/get/")) {
      chat.errors.push(`${request.url()}: ${request.failure()?.errorText}`);
    }
  });
  page.on("response", (response) => {
    if (new URL(response.url()).pathname.startsWith("/chat/get/")) {
      chat.pollStatuses.push(response.status());
    }
  });
  await page.goto(options.url, {waitUntil: "load", timeout: options.bound * 1000});
  return chat;
}

function messagesOf(chat) {
  return chat.page.$$eval("#messages > li", (items) => items.map((item) => item.textContent));
}

// Types text into a page's form and clicks Send, as a person would.
// Returns when the click was sent (performance.now()).
async function say(chat, text) {
  // Only the tab in front renders frames, and a click waits for one.
  await chat.page.bringToFront();
  await chat.page.click("#text", {clickCount: 3});
  await chat.page.type("#text", text);
  const clicked = performance.now();
  await chat.page.click("#send");
  return clicked;
}

// Seconds until `text` is the last message shown in `chat`, or null when it
// is not there within the bound.
async function secondsUntilShown(chat, text, start) {
  try {
    await chat.page.waitForFunction(
      (expected) => {
        const items = document.querySelectorAll("#messages > li");
        return items.length > 0 && items[items.length - 1].textContent === expected;
      },
      // On each change to the page, not on a timer: the tab in the
      // background may have its timers slowed down.
      {timeout: options.bound * 1000, polling: "mutation"},
      text,
    );
  } catch {
    return null;
  }
  return (performance.now() - start) / 1000;
}

async function deliveredWithinBound(from, to, text, what) {
  const start = await say(from, text);
  const seconds = await secondsUntilShown(to, text, start);
  return check(
    seconds !== null,
    what,
    seconds !== null ? `${seconds.toFixed(2)} s` : `not within ${options.bound} s`,
  );
}

const userDataDir = mkdtempSync(join(tmpdir(), "kit-chat-browser-"));
let browser;
try {
  browser = await puppeteer.launch({
    executablePath: process.env.KIT_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    userDataDir,
    // As root on a closed network: no sandbox (it needs user namespaces),
    // and nothing that makes Chromium call home.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const run = Date.now().toString(36);
  const alice = await openChat(browser, "A");
  const bob = await openChat(browser, "B");

  for (const chat of [alice, bob]) {
    const found = await chat.page.evaluate(() =>
      ["messages", "text", "send"].filter((id) => document.getElementById(id) !== null),
    );
    check(found.length === 3, `page ${chat.name} has #messages, #text and #send`, `found ${found}`);
  }

  await deliveredWithinBound(alice, bob, `hello from A ${run}`,
    `a message typed in page A appears in page B within ${options.bound} s`);
  await deliveredWithinBound(bob, alice, `hello from B ${run}`,
    `a message typed in page B appears in page A within ${options.bound} s`);

  // A message is text, never markup: were it set with innerHTML, this would
  // become an <img> element and run its handler in every reader's page.
  const markup = `<img src=x onerror="window.injected=1"><b>${run}</b>`;
  const shownBefore = (await messagesOf(bob)).length;
  await say(alice, markup);
  try {
    await bob.page.waitForFunction(
      (count) => document.querySelectorAll("#messages > li").length > count,
      {timeout: options.bound * 1000, polling: "mutation"}, shownBefore);
    const shown = await bob.page.evaluate(() => {
      const items = document.querySelectorAll("#messages > li");
      const last = items[items.length - 1];
      return {text: last.textContent, elements: last.children.length, ran: "injected" in window};
    });
    check(shown.text === markup && shown.elements === 0 && !shown.ran,
      "a message that looks like HTML is shown as text: no element made, no script run",
      `${shown.elements} element(s), script ${shown.ran ? "ran" : "did not run"}`);
  } catch {
    check(false, "a message that looks like HTML arrives", `not within ${options.bound} s`);
  }

  // Outlive the server's long-poll timeout: every parked poll is released
  // with 204 and the pages must ask again by themselves.
  const before = [alice.pollStatuses.length, bob.pollStatuses.length];
  await new Promise((resolve) => setTimeout(resolve, (options.pollTimeout + 1) * 1000));
  for (const [i, chat] of [alice, bob].entries()) {
    const released = chat.pollStatuses.slice(before[i]).filter((status) => status === 204).length;
    check(released > 0, `page ${chat.name}'s long poll was released by the timeout (204)`,
      `${released} times in ${options.pollTimeout + 1} s`);
  }
  await deliveredWithinBound(bob, alice, `after the timeout, from B ${run}`,
    "after the long-poll timeout, a message from B still appears in A");
  const last = `after the timeout, from A ${run}`;
  await deliveredWithinBound(alice, bob, last,
    "after the long-poll timeout, a message from A still appears in B");

  // A page shows its own message only when its own poll brings it back,
  // which may come a moment after the other page has it: compare the two
  // lists once both show the last message (or the bound has passed).
  await secondsUntilShown(alice, last, performance.now());
  const [seenByA, seenByB] = [await messagesOf(alice), await messagesOf(bob)];
  check(JSON.stringify(seenByA) === JSON.stringify(seenByB) && seenByA.length >= 5,
    "both pages show the same messages in the same order", `${seenByA.length} and ${seenByB.length}`);
  for (const chat of [alice, bob]) {
    check(chat.errors.length === 0, `page ${chat.name} had no script or request errors`,
      chat.errors.join("; "));
  }
} catch (error) {
  check(false, "the browser run", error.message);
} finally {
  await browser?.close();
  rmSync(userDataDir, {recursive: true, force: true});
  clearTimeout(watchdog);
}
console.log(failures === 0 ? "all checks passed" : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
