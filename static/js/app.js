/* Assetport: small enhancements on every page (no inline scripts: the CSP forbids them). */
(function () {
  'use strict';

  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    return el.isContentEditable || tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
  }

  // "/" focuses the page's search or filter box.
  document.addEventListener('keydown', function (event) {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    var box = document.querySelector('[data-shortcut="/"]');
    if (!box) return;
    event.preventDefault();
    box.focus();
    if (box.select) box.select();
  });

  // A thumbnail that fails to load shows its file-type placeholder instead of a broken image.
  document.addEventListener('error', function (event) {
    var img = event.target;
    if (img && img.tagName === 'IMG' && img.classList.contains('tile-img')) {
      var thumb = img.closest('.tile-thumb');
      if (thumb) thumb.classList.add('is-broken');
    }
  }, true);

  // Forms with data-confirm ask before submitting (e.g. removing a product link).
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
