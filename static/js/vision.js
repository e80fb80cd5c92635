/* Assetport vision: keyboard decisions on tag suggestions (a = accept, r = reject the focused one). */
(function () {
  'use strict';
  document.addEventListener('keydown', function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var item = event.target && event.target.closest && event.target.closest('[data-suggestion]');
    if (!item || (event.key !== 'a' && event.key !== 'r')) return;
    var button = item.querySelector(event.key === 'a' ? '[data-accept]' : '[data-reject]');
    if (!button) return;
    event.preventDefault();
    var next = item.nextElementSibling || item.previousElementSibling;
    var nextId = next && next.getAttribute('data-suggestion');
    button.click();
    // After the swap, keep the keyboard on the list: focus the neighbour of the decided suggestion.
    document.body.addEventListener('htmx:afterSwap', function focusNext() {
      document.body.removeEventListener('htmx:afterSwap', focusNext);
      var target = nextId && document.querySelector('[data-suggestion="' + nextId + '"]');
      if (target) target.focus();
    });
  });

  // Search by image: a dropped file submits the image form.
  document.addEventListener('drop', function (event) {
    var zone = event.target && event.target.closest && event.target.closest('[data-image-drop]');
    if (!zone || !event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    var input = zone.querySelector('input[type=file]');
    input.files = event.dataTransfer.files;
    zone.closest('form').submit();
  });
  document.addEventListener('dragover', function (event) {
    if (event.target && event.target.closest && event.target.closest('[data-image-drop]')) event.preventDefault();
  });
  document.addEventListener('change', function (event) {
    var input = event.target;
    if (input && input.matches && input.matches('[data-image-drop] input[type=file]') && input.files.length) {
      input.closest('form').submit();
    }
  });
})();
