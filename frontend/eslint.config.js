// ESLint for the web client: JavaScript's and typescript-eslint's recommended rules (syntax
// only; `tsc --noEmit` does the type checking). Run by `npm run lint` and `make test`.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      // `_name` marks a parameter kept for its position (a callback's signature).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);
