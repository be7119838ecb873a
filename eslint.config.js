// ESLint for the front end's ES modules (static/js): the recommended rules, browser globals,
// Plotly as a global (served as a classic script), and a few of the project's own.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.browser, Plotly: "readonly" },
    },
    rules: {
      "no-console": "error",
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      eqeqeq: ["error", "always"],
      "prefer-const": "error",
      "no-var": "error",
      "no-unused-vars": ["error", { args: "after-used" }],
      "no-restricted-properties": ["error",
        { object: "gd", property: "_fullLayout", message: "Plotly's internals: use gd.layout" },
        { property: "_fullLayout", message: "Plotly's internals: use the figure's own layout" },
        { property: "_fullData", message: "Plotly's internals: use gd.data" }],
    },
  },
  {
    // A view only renders: it takes data from the data layer and helpers from shared modules,
    // never from another view.
    files: ["static/js/{volume,stepper,layer,params,pooling,network,training}.js"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{
        group: ["./volume.js", "./stepper.js", "./layer.js", "./params.js", "./pooling.js",
          "./network.js", "./training.js"],
        message: "A view never imports another view: move what they share to a helper module.",
      }] }],
    },
  },
];
