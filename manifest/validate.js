#!/usr/bin/env node
// Validates a Teams app manifest read on stdin against the schema bundled in @microsoft/app-manifest.
// Prints {"schema": <url>, "errors": [...]} and exits 0 when valid, 1 when invalid, 2 when it cannot judge.
// It never fetches: a $schema URL the package does not bundle is refused, so a check cannot pass on a network fluke.
"use strict";

const fs = require("fs");
const path = require("path");

const PACKAGE = "@microsoft/app-manifest";

function report(schema, errors, code) {
  process.stdout.write(JSON.stringify({ schema, errors }) + "\n");
  process.exit(code);
}

function isBundled(AppManifestUtils, schemaUrl) {
  const suffix = AppManifestUtils.getLocalSchemaSuffix(schemaUrl);
  if (!suffix) return false;
  const buildDir = path.dirname(require.resolve(PACKAGE));
  return fs.existsSync(path.join(buildDir, suffix));
}

async function main() {
  let AppManifestUtils;
  try {
    ({ AppManifestUtils } = require(PACKAGE));
  } catch (error) {
    report(null, [`cannot load ${PACKAGE}: ${error.message.split("\n")[0]}; run npm ci`], 2);
  }
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(0, "utf8"));
  } catch (error) {
    report(null, [`stdin is not JSON: ${error.message}`], 2);
  }
  const schemaUrl = manifest !== null && typeof manifest === "object" ? manifest.$schema : undefined;
  if (typeof schemaUrl !== "string") report(null, ["the manifest has no $schema"], 1);
  if (!isBundled(AppManifestUtils, schemaUrl)) {
    report(schemaUrl, [`${PACKAGE} does not bundle the schema ${schemaUrl}`], 1);
  }
  const errors = await AppManifestUtils.validateAgainstSchema(manifest);
  report(schemaUrl, errors, errors.length ? 1 : 0);
}

main().catch((error) => report(null, [String((error && error.stack) || error)], 2));
