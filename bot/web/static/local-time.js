// Times are written in each meeting's own zone, with its UTC offset. Where the reader's
// zone differs, add the reader's own time beside it. Everything reads without this.
(function () {
  "use strict";
  var reader = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var when = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    timeZoneName: "short"
  });
  document.querySelectorAll("time[data-zone]").forEach(function (node) {
    if (!reader || node.dataset.zone === reader) return;
    var start = new Date(node.getAttribute("datetime"));
    if (isNaN(start.getTime())) return;
    var mine = document.createElement("span");
    mine.className = "your-time";
    mine.textContent = " (your time: " + when.format(start) + ")";
    node.after(mine);
  });
})();
