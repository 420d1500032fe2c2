#!/usr/bin/env node
// Validates Adaptive Cards with the official adaptivecards library, as Teams (schema 1.5) would parse them.
// Reads a JSON array of cards on stdin; prints a JSON array with one list of error strings per card.
// Every event the library reports counts: parse warnings (unknown types, properties newer than 1.5,
// invalid enum values) and validation failures (duplicate ids, unlabelled required inputs, version > 1.5).
// Exit status: 0 when it could judge every card (errors or not), 2 when the input is unusable.
"use strict";

const path = require("path");

// stdout carries only the JSON answer; anything the library prints goes to stderr.
console.log = console.info = console.warn = (...args) => process.stderr.write(args.join(" ") + "\n");

const AC = require(path.join(__dirname, "..", "..", "node_modules", "adaptivecards", "dist", "adaptivecards.js"));

const TEAMS_VERSION = AC.Versions.v1_5;

function describe(event) {
  const source = event.source && typeof event.source.getJsonTypeName === "function"
    ? ` (in ${event.source.getJsonTypeName()}${event.source.id ? ` "${event.source.id}"` : ""})`
    : "";
  return `${AC.ValidationPhase[event.phase]}/${AC.ValidationEvent[event.event]}: ${event.message}${source}`;
}

function validate(json) {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return ["Parse/Other: a card must be a JSON object"];
  }
  const card = new AC.AdaptiveCard();
  card.maxVersion = TEAMS_VERSION; // the library allows 1.6; Teams renders 1.5 at most
  const context = new AC.SerializationContext(TEAMS_VERSION);
  const errors = [];
  try {
    card.parse(json, context);
  } catch (error) {
    return [`Parse/Exception: ${error && error.message ? error.message : String(error)}`];
  }
  for (let i = 0; i < context.eventCount; i++) {
    errors.push(describe(context.getEventAt(i)));
  }
  for (const event of card.validateProperties().validationEvents) {
    errors.push(describe(event));
  }
  return errors;
}

function main() {
  const chunks = [];
  process.stdin.on("data", (chunk) => chunks.push(chunk));
  process.stdin.on("end", () => {
    let cards;
    try {
      cards = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch (error) {
      process.stderr.write(`stdin is not JSON: ${error.message}\n`);
      process.exit(2);
    }
    if (!Array.isArray(cards)) {
      process.stderr.write("stdin must be a JSON array of cards\n");
      process.exit(2);
    }
    process.stdout.write(JSON.stringify(cards.map(validate)));
  });
}

main();
