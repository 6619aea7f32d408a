/** Pages bundled as text (esbuild's `text` loader for `.html`, see lib/constructs/handler-bundles.ts). */
declare module '*.html' {
  const page: string;
  export default page;
}
