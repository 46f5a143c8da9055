// Mounts every [data-sim] element on each page load, including mkdocs-material's instant
// navigation (document$), and unmounts widgets of the page being left.
const WIDGETS = {
  trainer: () => import("./widgets/trainer.js"),
};

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
    const load = WIDGETS[root.dataset.sim];
    if (!load) continue;
    root.dataset.mounted = "true";
    const module = await load();
    mounted.add(module.mount(root));
  }
}

if (window.document$) window.document$.subscribe(() => { mountAll(); });
else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
else mountAll();
