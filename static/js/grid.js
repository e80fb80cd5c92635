/* Assetport: arrow-key navigation between the tiles of a thumbnail grid ([data-grid] > [data-tile]). */
(function () {
  'use strict';

  function columnsOf(tiles) {
    if (!tiles.length) return 1;
    var top = tiles[0].getBoundingClientRect().top;
    var n = 0;
    for (var i = 0; i < tiles.length; i++) {
      if (Math.abs(tiles[i].getBoundingClientRect().top - top) > 4) break;
      n++;
    }
    return Math.max(1, n);
  }

  var KEYS = { ArrowLeft: 1, ArrowRight: 1, ArrowUp: 1, ArrowDown: 1, Home: 1, End: 1 };

  // Delegated to the document, so grids swapped in by htmx work without rebinding.
  document.addEventListener('keydown', function (event) {
    if (!KEYS[event.key] || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var tile = event.target && event.target.closest ? event.target.closest('[data-tile]') : null;
    if (!tile) return;
    var grid = tile.closest('[data-grid]');
    if (!grid) return;
    var tiles = Array.prototype.slice.call(grid.querySelectorAll('[data-tile]'));
    var index = tiles.indexOf(tile);
    var cols = columnsOf(tiles);
    var next = index;
    switch (event.key) {
      case 'ArrowLeft': next = index - 1; break;
      case 'ArrowRight': next = index + 1; break;
      case 'ArrowUp': next = index - cols; break;
      case 'ArrowDown':
        next = index + cols;
        // From the row above a shorter last row, go to its last tile.
        if (next >= tiles.length && Math.floor(index / cols) < Math.floor((tiles.length - 1) / cols)) {
          next = tiles.length - 1;
        }
        break;
      case 'Home': next = 0; break;
      case 'End': next = tiles.length - 1; break;
    }
    if (next < 0 || next >= tiles.length || next === index) return;
    event.preventDefault();
    tiles[next].focus();
    tiles[next].scrollIntoView({ block: 'nearest' });
  });
})();

/* The asset grid's view toggle ([data-view-toggle] > [data-view]): grid or list, remembered in this browser
   (localStorage). Without the script the buttons are links (?view=list). */
(function () {
  'use strict';

  var KEY = 'assetport.assetView';
  var toggle = document.querySelector('[data-view-toggle]');
  var target = document.querySelector('[data-view-target]');
  if (!toggle || !target) return;
  var buttons = Array.prototype.slice.call(toggle.querySelectorAll('[data-view]'));

  function apply(view) {
    target.classList.toggle('is-list', view === 'list');
    buttons.forEach(function (b) {
      var on = b.getAttribute('data-view') === view;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    });
  }

  function remember(view) {
    try { window.localStorage.setItem(KEY, view); } catch (ignored) { /* storage off: not remembered */ }
  }

  buttons.forEach(function (b) {
    b.addEventListener('click', function (event) {
      event.preventDefault();
      var view = b.getAttribute('data-view');
      apply(view);
      remember(view);
    });
  });

  var asked = new URLSearchParams(window.location.search).get('view');
  if (asked) {
    remember(asked === 'list' ? 'list' : 'grid');
  } else {
    var stored = null;
    try { stored = window.localStorage.getItem(KEY); } catch (ignored) { stored = null; }
    if (stored === 'list') apply('list');
  }
})();
