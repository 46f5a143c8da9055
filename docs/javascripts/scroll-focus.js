// A region that scrolls sideways (a wide table, a long line of code or notebook output) must
// be reachable with the keyboard, or a keyboard reader cannot see what is off to the side
// (WCAG 2.1.1; axe's scrollable-region-focusable). On each page load and on resize, every
// such region in the article that has nothing focusable inside gets tabindex="0" (and loses
// it again when the page is wide enough for it not to scroll). Code blocks are left to
// mkdocs-material, which does this for its own.
function mark() {
  for (const el of document.querySelectorAll("article :is(div, pre, table)")) {
    const style = getComputedStyle(el);
    const scrolls = /auto|scroll/.test(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
    if (scrolls && !el.hasAttribute("tabindex") && !el.querySelector("a[href], button, input, select, textarea, [tabindex]")) {
      el.setAttribute("tabindex", "0");
      el.dataset.scrollFocus = "";
    } else if (!scrolls && "scrollFocus" in el.dataset) {
      el.removeAttribute("tabindex");
      delete el.dataset.scrollFocus;
    }
  }
}

let pending = 0;
const later = () => { cancelAnimationFrame(pending); pending = requestAnimationFrame(mark); };
if (window.document$) window.document$.subscribe(later);
else document.addEventListener("DOMContentLoaded", later);
window.addEventListener("resize", later);
