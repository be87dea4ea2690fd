#!/usr/bin/env node
// The stage-8 chat written the way a user would pick instead of the kit:
// Node.js's own `http` module, one event loop, no npm packages. It speaks
// the same contract as the kit's server (src/stages/08-async/CHAT_API.md)
// and serves the same page, so the browser test and the benchmark
// (bench_chat.py) run against both, side by side (lesson 8).
//
//     node chat_node.js [--port N] [--host ADDRESS] [--poll-timeout SECONDS] [--page FILE]
//
// With --port 0 the kernel picks the port; the first line on stdout says
// which, as the kit's servers do: "listening on http://127.0.0.1:PORT/".
//
// Everything runs on Node's one loop thread: the waiters need no lock.
"use strict";

const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");

const usage =
  "usage: chat_node.js [--port N] [--host ADDRESS] [--poll-timeout SECONDS] [--page FILE]";
const maxMessageBytes = 1000;
const maxBodyBytes = 8 * 1024;

function fail(message) {
  process.stderr.write(`chat_node.js: ${message}\n${usage}\n`);
  process.exit(2);
}

function parseArguments(argv) {
  const options = {
    port: 8080,
    host: "127.0.0.1",
    pollTimeoutMs: 10_000,
    page: path.join(__dirname, "..", "..", "src", "stages", "08-async", "chat.html"),
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--help" || flag === "-h") {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    if (value === undefined) {
      fail(`${flag} needs a value`);
    }
    if (flag === "--port") {
      if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
        fail(`--port: '${value}' is not a port number (0-65535)`);
      }
      options.port = Number(value);
    } else if (flag === "--host") {
      options.host = value;
    } else if (flag === "--poll-timeout") {
      const seconds = Number(value);
      if (value.trim() === "" || !Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
        fail(`--poll-timeout: '${value}' is not a number of seconds in (0, 3600]`);
      }
      options.pollTimeoutMs = seconds * 1000;
    } else if (flag === "--page") {
      options.page = value;
    } else {
      fail(`unknown option '${flag}'`);
    }
  }
  return options;
}

const options = parseArguments(process.argv.slice(2));
let page;
try {
  page = fs.readFileSync(options.page);
} catch (error) {
  fail(`cannot read the page: ${error.message}`);
}

// The chat's state: the messages, and the responses parked on the next one.
// Every waiter waits for the same message (index messages.length): a client
// asking for an older one is answered at once, a newer one is a 404.
const messages = [];
const waiters = new Set();

function send(response, status, body) {
  const headers = {"Cache-Control": "no-store"};
  if (body === undefined) {
    response.writeHead(status, headers);  // 204: no body, no Content-Length
    response.end();
    return;
  }
  const json = JSON.stringify(body);
  headers["Content-Type"] = "application/json";
  headers["Content-Length"] = Buffer.byteLength(json);
  response.writeHead(status, headers);
  response.end(json);
}

function park(response) {
  const waiter = {response, timer: null};
  // The long-poll timeout: answer 204 and let the client ask again, so no
  // connection is held forever by a client that may be long gone.
  waiter.timer = setTimeout(() => {
    waiters.delete(waiter);
    send(response, 204);
  }, options.pollTimeoutMs);
  // A client that goes away while parked ("close" before the answer) is
  // dropped at once: its socket, timer and entry are freed now, not at the
  // timeout.
  response.on("close", () => {
    if (waiters.delete(waiter)) {
      clearTimeout(waiter.timer);
    }
  });
  waiters.add(waiter);
}

function post(text) {
  const id = messages.push(text) - 1;
  // Every waiter is answered in this same turn of the loop.
  for (const waiter of waiters) {
    clearTimeout(waiter.timer);
    send(waiter.response, 200, {id, message: text});
  }
  waiters.clear();
  return id;
}

function getMessage(response, digits) {
  if (!/^\d{1,9}$/.test(digits)) {
    send(response, 400, {error: `'${digits}' is not a message index (0 to 999999999)`});
    return;
  }
  const id = Number(digits);
  if (id < messages.length) {
    send(response, 200, {id, message: messages[id]});
  } else if (id === messages.length) {
    park(response);
  } else {
    send(response, 404, {error: `no message ${id} yet; next is ${messages.length}`});
  }
}

// A POST /chat/post body read as {message} or, when it is not one, {error}.
function readMessage(body) {
  let text;
  try {
    // fatal: bytes that are not UTF-8 are refused, not replaced by U+FFFD.
    text = new TextDecoder("utf-8", {fatal: true}).decode(body);
  } catch {
    return {error: "the body is not UTF-8"};
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {error: `malformed JSON: ${error.message}`};
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return {error: "the body is not a JSON object"};
  }
  if (!Object.hasOwn(value, "message")) {
    return {error: "'message' is missing"};
  }
  if (typeof value.message !== "string") {
    return {error: "'message' is not a string"};
  }
  if (value.message === "") {
    return {error: "'message' is empty"};
  }
  // A lone surrogate (\ud800) is valid JSON to JSON.parse but not text.
  if (!value.message.isWellFormed()) {
    return {error: "'message' is not valid Unicode"};
  }
  if (Buffer.byteLength(value.message, "utf8") > maxMessageBytes) {
    return {error: `'message' is longer than ${maxMessageBytes} bytes`};
  }
  return {message: value.message};
}

function postMessage(request, response) {
  const type = (request.headers["content-type"] || "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    // Requiring JSON makes a cross-site form unable to post (a browser
    // sends application/json across sites only after a CORS preflight).
    send(response, 415, {error: "Content-Type must be application/json"});
    return;
  }
  const chunks = [];
  let size = 0;
  request.on("data", (chunk) => {
    size += chunk.length;
    if (size <= maxBodyBytes) {
      chunks.push(chunk);
    } else if (!response.headersSent) {
      // A body this large can never be a valid message: answer now, and
      // once the answer is out, close rather than read the rest.
      response.setHeader("Connection", "close");
      send(response, 413, {error: `the body is larger than ${maxBodyBytes} bytes`});
      response.on("finish", () => request.destroy());
    }
  });
  request.on("end", () => {
    if (response.headersSent) {
      return;
    }
    const {message, error} = readMessage(Buffer.concat(chunks));
    if (error !== undefined) {
      send(response, 400, {error});
      return;
    }
    send(response, 200, {id: post(message)});
  });
}

function route(request, response) {
  const {pathname} = new URL(request.url, "http://localhost");
  const method = request.method;
  const allow = (methods) => {
    response.setHeader("Allow", methods);
    send(response, 405, {error: `${method} is not allowed here; use ${methods}`});
  };
  if (pathname === "/chat/") {
    if (method !== "GET") {
      return allow("GET");
    }
    response.writeHead(200, {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Length": page.length,
      "Cache-Control": "no-store",
    });
    return response.end(page);
  }
  if (pathname === "/chat/post") {
    return method === "POST" ? postMessage(request, response) : allow("POST");
  }
  if (pathname === "/chat/stats") {
    return method === "GET"
      ? send(response, 200, {messages: messages.length, parked: waiters.size})
      : allow("GET");
  }
  if (pathname.startsWith("/chat/get/")) {
    return method === "GET" ? getMessage(response, pathname.slice("/chat/get/".length)) : allow("GET");
  }
  return send(response, 404, {error: `no such page: ${pathname}`});
}

const server = http.createServer(route);
server.on("clientError", (error, socket) => {
  // A request Node cannot parse: 400 and close, as the contract says.
  if (socket.writable) {
    socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  }
});
server.on("error", (error) => fail(`cannot listen on ${options.host}:${options.port}: ${error.message}`));
server.listen(options.port, options.host, () => {
  process.stdout.write(`listening on http://${options.host}:${server.address().port}/\n`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => process.exit(0));
}
