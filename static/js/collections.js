/* Assetport: the "add to collection" picker. The new-name field shows only while "New collection…" is
   chosen (and then takes the focus); Enter in it presses the picker's own button, never another submit
   button of the same form (the search selection bar's first button shares a link). */
(function () {
  'use strict';

  function sync(picker, focus) {
    var choice = picker.querySelector('[data-picker-choice]');
    var field = picker.querySelector('[data-picker-new]');
    if (!choice || !field) return;
    var isNew = choice.value === 'new';
    field.hidden = !isNew;
    var input = field.querySelector('input');
    if (input) input.required = false;
    if (isNew && focus && input) input.focus();
  }

  function init(root) {
    (root || document).querySelectorAll('[data-collection-picker]').forEach(function (picker) {
      sync(picker, false);
    });
  }

  document.addEventListener('change', function (event) {
    var choice = event.target;
    if (!choice.hasAttribute || !choice.hasAttribute('data-picker-choice')) return;
    var picker = choice.closest('[data-collection-picker]');
    if (picker) sync(picker, true);
  });

  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Enter' || !event.target.closest) return;
    var field = event.target.closest('[data-picker-new]');
    if (!field) return;
    var picker = field.closest('[data-collection-picker]');
    var button = picker && picker.querySelector('[data-picker-add]');
    if (!button) return;
    event.preventDefault();
    if (!button.disabled) button.click();
  });

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { init(document); });
  } else {
    init(document);
  }
})();
