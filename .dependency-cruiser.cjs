// The dependency rule, checked in `npm test`: web → sign-in → sso/saml, provisioning, sessions → users, clinics, audit,
// notifications → db.
// Arrows only point down this list; a module that imports one layer up fails the build.
const layer = (name, from, forbiddenAbove) => ({
  name,
  severity: "error",
  comment: `${from} may not import ${forbiddenAbove}: dependencies point one way, towards db/`,
  from: { path: from },
  to: { path: forbiddenAbove },
});

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "import cycles hide which module depends on which",
      from: {},
      to: { circular: true },
    },
    layer("only-the-edge-imports-web", "^src/(?!web/|app\\.ts$|main\\.ts$)", "^src/web/"),
    layer("sign-in-below-web", "^src/sign-in/", "^src/(web|app\\.ts|main\\.ts|cli\\.ts)"),
    layer("protocol-below-sign-in", "^src/(sso|provisioning|sessions)/", "^src/(web|sign-in|demo)/|^src/(app|main|cli)\\.ts$"),
    layer("saml-is-protocol-only", "^src/sso/", "^src/(provisioning|sessions|users|rooms)/"),
    layer(
      "domain-below-sign-in",
      "^src/(users|clinics|audit|rooms)/",
      "^src/(web|sign-in|sso|provisioning|sessions|demo)/|^src/(app|main|cli)\\.ts$",
    ),
    // Notices for a clinic's admins sit beside users/ and clinics/: anything above may tell them, they know nothing above.
    layer(
      "notifications-at-the-domain-level",
      "^src/notifications/",
      "^src/(?!(db|clinics|users|audit|notifications)/|ids\\.ts$|result\\.ts$)",
    ),
    layer("saml-tells-nobody", "^src/sso/", "^src/notifications/"),
    // db/schema.ts gathers the table types that live beside their modules: type-only, and the one exception.
    { ...layer("db-at-the-bottom", "^src/db/", "^src/(?!db/)"), to: { path: "^src/(?!db/)", pathNot: "\\.table\\.ts$" } },
  ],
  options: {
    // TypeScript here is the native compiler, which has no JS API: swc parses instead.
    parser: "swc",
    // Type-only imports are dependencies too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // swc cannot parse .tsx here; they are all in web/, the top layer, so listing them as targets is enough.
    doNotFollow: { path: ["node_modules", "\\.tsx$"] },
    exclude: { path: ["\\.test\\.tsx?$"] },
  },
};
