// The overdue step of a ticket counts on while the page is open (the server gave its seconds at load).
"use strict";
(function () {
  const banner = document.getElementById("overdue");
  if (!banner) return;
  const loaded = Date.now();
  const seconds = Number(banner.dataset.seconds);
  const elapsed = banner.querySelector(".elapsed");
  setInterval(() => { elapsed.textContent = ((seconds + (Date.now() - loaded) / 1000) / 60).toFixed(1); }, 1000);
})();
