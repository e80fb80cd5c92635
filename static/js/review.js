/* Assetport review queue: keyboard review. j/k move between items, a approves the current one, r focuses
 * its rejection reason (Enter submits), x toggles its selection for the bulk buttons. Keys typed into a
 * form field are left alone. */
(function () {
  'use strict';

  var items = Array.prototype.slice.call(document.querySelectorAll('[data-review-item]'));
  if (!items.length) return;
  var current = 0;

  function focusItem(index) {
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach(function (item, i) { item.classList.toggle('is-current', i === current); });
    items[current].focus({ preventScroll: true });
    items[current].scrollIntoView({ block: 'nearest' });
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || (target && target.isContentEditable);
  }

  items.forEach(function (item, i) {
    item.addEventListener('click', function () { current = i; focusItem(i); });
  });

  document.addEventListener('keydown', function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === 'Escape') { event.target.blur(); focusItem(current); }
      return;
    }
    var item = items[current];
    switch (event.key) {
      case 'j': focusItem(current + 1); break;
      case 'k': focusItem(current - 1); break;
      case 'a': {
        var approve = item.querySelector('[data-approve-form]');
        if (approve) approve.requestSubmit ? approve.requestSubmit() : approve.submit();
        break;
      }
      case 'r': {
        var reason = item.querySelector('[data-reject-comment]');
        if (reason) reason.focus();
        break;
      }
      case 'x': {
        var box = item.querySelector('[data-select]');
        if (box) box.checked = !box.checked;
        break;
      }
      default: return;
    }
    event.preventDefault();
  });

  focusItem(0);
})();
