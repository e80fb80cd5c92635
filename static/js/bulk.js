/* Assetport: the bulk edit form's custom field rows (the product pickers are static/js/picker.js). */
(function () {
  'use strict';

  // A custom field row: typing or choosing a value means "Set to" (the mode select says so).
  document.querySelectorAll('[data-bulk-field]').forEach(function (row) {
    var mode = row.querySelector('[data-bulk-field-mode]');
    if (!mode) return;
    function touched(event) {
      if (event.target !== mode && mode.value === 'keep') mode.value = 'set';
    }
    row.addEventListener('input', touched);
    row.addEventListener('change', touched);
  });
})();
