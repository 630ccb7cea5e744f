// Optional: the page reads and prints without this script.
(function () {
  "use strict";
  var lists = function () { return document.querySelectorAll("details.frames"); };
  // Opening a frame from its arrow in a diagram: open the list that holds it.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el) return;
    var d = el.closest("details");
    if (d && !d.open) { d.open = true; el.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  // Printing: every frame list open, then back as the reader left them.
  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.filter.call(lists(), function (d) { return !d.open; });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (d) { d.open = false; });
    closed = [];
  });
  // Two buttons to open or close every frame list at once.
  var bar = document.getElementById("toolbar");
  if (!bar) return;
  [["Open all frame lists", true], ["Close all frame lists", false]].forEach(function (b) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = b[0];
    button.addEventListener("click", function () {
      Array.prototype.forEach.call(lists(), function (d) { d.open = b[1]; });
    });
    bar.appendChild(button);
  });
})();
