// Seeking from the keyboard, on every player (<video controls>: the clip page's, a card's, a
// share link's). Chromium's own ← and → step the timeline by a hundredth of the clip (0.06 s
// of a 6 s clip), too little to see. With the player focused they seek by a tenth of the clip
// instead (at least 1 s, at most 5 s). Space and k (play, pause), Home and End stay the
// browser's. Loaded on every page.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var video = event.target;
    if (!(video instanceof HTMLVideoElement) || !video.controls) return;
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var length = video.duration;
    if (!isFinite(length) || length <= 0) return;
    event.preventDefault();  // not the browser's step as well
    var step = Math.min(5, Math.max(1, length / 10));
    var to = video.currentTime + (event.key === "ArrowRight" ? step : -step);
    video.currentTime = Math.max(0, Math.min(length, to));
  }, true);
})();
