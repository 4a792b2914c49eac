// Validates every object of the given Kubernetes manifests against the Kubernetes API's
// OpenAPI schemas (the npm packages kubernetes-models and yaml; install them first:
// `npm install --prefix /tmp/k8s-validate kubernetes-models yaml`, then
// `NODE_PATH=/tmp/k8s-validate/node_modules node deploy/kubernetes/validate.mjs FILE...`,
// or scripts/validate-manifests, which does both). Prints one line per object; exits 1 when
// any object is invalid or of a kind it does not know.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { parseAllDocuments } = require("yaml");

// The kinds these manifests use, by apiVersion and kind.
const models = {
  "v1/Secret": () => require("kubernetes-models/v1/Secret").Secret,
  "v1/Service": () => require("kubernetes-models/v1/Service").Service,
  "v1/ConfigMap": () => require("kubernetes-models/v1/ConfigMap").ConfigMap,
  "apps/v1/DaemonSet": () => require("kubernetes-models/apps/v1/DaemonSet").DaemonSet,
  "apps/v1/Deployment": () => require("kubernetes-models/apps/v1/Deployment").Deployment,
};

let failed = false;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length > 0) {
      console.log(`${file}: not YAML: ${doc.errors[0].message}`);
      failed = true;
      continue;
    }
    const object = doc.toJS();
    if (object == null) continue;
    const key = `${object.apiVersion}/${object.kind}`;
    const name = `${file}: ${key} ${object.metadata?.name ?? "(no name)"}`;
    const model = models[key];
    if (model === undefined) {
      console.log(`${name}: no schema here for this kind`);
      failed = true;
      continue;
    }
    try {
      const Model = model();
      new Model(object).validate();
      console.log(`${name}: valid`);
    } catch (e) {
      console.log(`${name}: INVALID: ${e.message}`);
      failed = true;
    }
  }
}
process.exit(failed ? 1 : 0);
