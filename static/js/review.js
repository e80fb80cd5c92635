/* Assetport review queue: a grid of equal previews with the selected asset's details beside it.
 * Arrows move between tiles, Enter opens the asset page, a approves, r goes to the rejection reason (Enter
 * then rejects), x toggles the selection for the bulk buttons; approving and rejecting ask to confirm in a
 * dialog. Keys typed into a form field are left alone. Without this script the tiles link to their
 * details (#review-<id>) and the buttons submit directly. */
(function () {
  'use strict';

  var layout = document.querySelector('.review-layout');
  var items = Array.prototype.slice.call(document.querySelectorAll('[data-review-item]'));
  if (!layout || !items.length) return;
  layout.classList.add('is-enhanced');
  var dialog = document.getElementById('review-confirm');
  var current = 0;
  var pending = null; // the form waiting for the dialog's answer

  function detailOf(item) {
    return document.querySelector('[data-review-detail="' + item.getAttribute('data-asset-id') + '"]');
  }

  function linkOf(item) { return item.querySelector('[data-review-show]'); }

  function columns() {
    var top = items[0].getBoundingClientRect().top;
    var n = 0;
    for (var i = 0; i < items.length; i++) {
      if (Math.abs(items[i].getBoundingClientRect().top - top) > 4) break;
      n++;
    }
    return Math.max(1, n);
  }

  function select(index, focus) {
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach(function (item, i) {
      var on = i === current;
      item.classList.toggle('is-current', on);
      linkOf(item).setAttribute('aria-current', on ? 'true' : 'false');
      var detail = detailOf(item);
      if (detail) detail.classList.toggle('is-shown', on);
    });
    if (focus !== false) {
      linkOf(items[current]).focus({ preventScroll: true });
      items[current].scrollIntoView({ block: 'nearest' });
    }
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || (target && target.isContentEditable);
  }

  items.forEach(function (item, i) {
    linkOf(item).addEventListener('click', function (event) {
      event.preventDefault();
      select(i);
      // One column (phones): the details are below the grid, bring them into view.
      if (layout.getBoundingClientRect().width < 700) {
        var detail = detailOf(item);
        if (detail) detail.scrollIntoView({ block: 'start' });
      }
    });
  });

  function confirmThen(form) {
    if (!dialog || typeof dialog.showModal !== 'function') {
      if (window.confirm(form.getAttribute('data-confirm-message') || 'Are you sure?')) submitNow(form);
      return;
    }
    pending = form;
    var text = form.getAttribute('data-confirm-message') || 'Are you sure?';
    var reason = form.querySelector('[data-reject-comment]');
    if (reason && reason.value.trim()) text += ' Reason: ' + reason.value.trim();
    dialog.querySelector('[data-confirm-text]').textContent = text;
    var ok = dialog.querySelector('[data-confirm-ok]');
    ok.textContent = form.hasAttribute('data-reject-form') ? 'Reject' : 'Approve';
    ok.className = 'btn btn-sm ' + (form.hasAttribute('data-reject-form') ? 'btn-danger' : 'btn-success');
    dialog.showModal();
    ok.focus();
  }

  function submitNow(form) {
    form.setAttribute('data-confirmed', '');
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  if (dialog) {
    dialog.querySelector('[data-confirm-ok]').addEventListener('click', function () {
      var form = pending;
      pending = null;
      dialog.close();
      if (form) submitNow(form);
    });
    dialog.querySelector('[data-confirm-cancel]').addEventListener('click', function () { dialog.close(); });
    dialog.addEventListener('close', function () {
      if (pending) { pending = null; select(current); }
    });
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form.matches('[data-approve-form], [data-reject-form]') || form.hasAttribute('data-confirmed')) return;
    event.preventDefault();
    confirmThen(form);
  });

  document.addEventListener('keydown', function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (dialog && dialog.open) return;
    if (typing(event.target)) {
      if (event.key === 'Escape') { event.target.blur(); select(current); }
      return;
    }
    var item = items[current];
    var detail = detailOf(item);
    var inGrid = event.target === document.body || (event.target.closest && event.target.closest('[data-review-list]'));
    if (!inGrid && /^(Arrow|Home$|End$|Enter$)/.test(event.key)) return;
    switch (event.key) {
      case 'ArrowRight': case 'j': select(current + 1); break;
      case 'ArrowLeft': case 'k': select(current - 1); break;
      case 'ArrowDown': select(current + columns()); break;
      case 'ArrowUp': select(current - columns()); break;
      case 'Home': select(0); break;
      case 'End': select(items.length - 1); break;
      case 'Enter':
        window.location.href = item.getAttribute('data-open');
        break;
      case 'a': {
        var approve = detail && detail.querySelector('[data-approve-form]');
        if (approve) confirmThen(approve);
        break;
      }
      case 'r': {
        var reason = detail && detail.querySelector('[data-reject-comment]');
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

  var fromHash = items.findIndex(function (item) {
    return window.location.hash === '#review-' + item.getAttribute('data-asset-id');
  });
  select(fromHash >= 0 ? fromHash : 0);
})();
