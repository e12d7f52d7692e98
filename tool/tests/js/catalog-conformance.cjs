// Backstage's own validators over every entity `paved catalog` writes.
//
//   node tool/tests/js/catalog-conformance.cjs <catalog dir>
//
// Needs @backstage/catalog-model, @backstage/plugin-scaffolder-common and
// yaml on NODE_PATH (`.ci/run` installs them, pinned, under target/). Each
// entity goes through the catalog's entity policies (the envelope, field
// formats, no foreign root fields, the default namespace) and the
// validator of its kind, as the catalog backend does when it ingests a
// file; then every relation must name an entity of the catalog, and the
// Location must name every file.
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const model = require("@backstage/catalog-model");
const scaffolder = require("@backstage/plugin-scaffolder-common");

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node catalog-conformance.cjs <catalog dir>");
  process.exit(2);
}

const policy = model.EntityPolicies.allOf([
  new model.DefaultNamespaceEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.FieldFormatEntityPolicy(),
  new model.SchemaValidEntityPolicy(),
]);
const validators = {
  API: model.apiEntityV1alpha1Validator,
  Component: model.componentEntityV1alpha1Validator,
  Group: model.groupEntityV1alpha1Validator,
  Location: model.locationEntityV1alpha1Validator,
  Resource: model.resourceEntityV1alpha1Validator,
  System: model.systemEntityV1alpha1Validator,
  User: model.userEntityV1alpha1Validator,
  Template: scaffolder.templateEntityV1beta3Validator,
};

const problems = [];
const entities = [];
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();
for (const file of files) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), "utf8"));
  for (const doc of docs) {
    if (doc.errors.length) {
      problems.push(`${file}: ${doc.errors[0].message}`);
      continue;
    }
    const entity = doc.toJS();
    if (entity === null) continue;
    entities.push({ file, entity });
  }
}

(async () => {
  const known = new Set();
  const ref = (kind, name) => `${kind.toLowerCase()}:default/${name}`;
  for (const { file, entity } of entities) {
    const where = `${file}: ${entity.kind} ${entity.metadata && entity.metadata.name}`;
    try {
      await policy.enforce(entity);
    } catch (error) {
      problems.push(`${where}: ${error.message}`);
      continue;
    }
    const validator = validators[entity.kind];
    if (!validator) {
      problems.push(`${where}: no validator for kind ${entity.kind}`);
      continue;
    }
    try {
      if (!(await validator.check(entity))) problems.push(`${where}: not accepted as ${entity.kind}`);
    } catch (error) {
      problems.push(`${where}: ${error.message}`);
    }
    const key = ref(entity.kind, entity.metadata.name);
    if (known.has(key)) problems.push(`${where}: defined twice`);
    known.add(key);
  }

  // Every relation resolves inside the catalog.
  const refsOf = (entity) => {
    const spec = entity.spec || {};
    const list = [];
    const add = (value, defaultKind) => {
      for (const item of [].concat(value || [])) {
        const parsed = model.parseEntityRef(item, { defaultKind, defaultNamespace: "default" });
        list.push(`${parsed.kind.toLowerCase()}:${parsed.namespace}/${parsed.name}`);
      }
    };
    add(spec.owner, "Group");
    add(spec.system, "System");
    add(spec.dependsOn, "Component");
    add(spec.providesApis, "API");
    add(spec.consumesApis, "API");
    add(spec.memberOf, "Group");
    add(spec.parent, "Group");
    add(spec.children, "Group");
    add(spec.members, "User");
    return list;
  };
  for (const { file, entity } of entities) {
    for (const target of refsOf(entity)) {
      if (!known.has(target)) {
        problems.push(`${file}: ${entity.kind} ${entity.metadata.name} refers to ${target}, which the catalog does not define`);
      }
    }
  }

  // The Location names every other file, and only files that exist.
  const locations = entities.filter((e) => e.entity.kind === "Location");
  if (locations.length !== 1) problems.push(`expected one Location, found ${locations.length}`);
  for (const { file, entity } of locations) {
    const targets = (entity.spec.targets || []).map((t) => t.replace(/^\.\//, ""));
    for (const target of targets) {
      if (!fs.existsSync(path.join(dir, target))) problems.push(`${file}: target ${target} does not exist`);
    }
    for (const other of files) {
      if (other !== file && !targets.includes(other)) problems.push(`${file}: does not name ${other}`);
    }
  }

  const counts = {};
  for (const { entity } of entities) counts[entity.kind] = (counts[entity.kind] || 0) + 1;
  if (problems.length) {
    for (const problem of problems) console.error(problem);
    console.error(`${problems.length} problems in ${entities.length} entities`);
    process.exit(1);
  }
  console.log(
    `Backstage accepts all ${entities.length} entities: ` +
      Object.keys(counts).sort().map((k) => `${counts[k]} ${k}`).join(", "),
  );
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
