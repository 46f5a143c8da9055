// Mounts every [data-sim] element on each page load, including mkdocs-material's instant
// navigation (document$), and unmounts widgets of the page being left.
// docs/javascripts/sim/widgets/<kind>.js serves [data-sim="<kind>"]; kinds are written by the
// page authors (never taken from the URL), and checked against this pattern before import.
const KIND = /^[a-z][a-z-]*$/;

const mounted = new Set();

async function mountAll() {
  for (const widget of mounted) {
    if (!document.body.contains(widget.root)) {
      widget.unmount();
      mounted.delete(widget);
    }
  }
  for (const root of document.querySelectorAll("[data-sim]")) {
    if (root.dataset.mounted) continue;
    const kind = root.dataset.sim;
    if (!KIND.test(kind)) continue;
    root.dataset.mounted = "true";
    const module = await import(`./widgets/${kind}.js`);
    mounted.add(module.mount(root));
  }
}

if (window.document$) window.document$.subscribe(() => { mountAll(); });
else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
else mountAll();
