/* Assetport search page: facet "more" toggles (remembered across htmx swaps), arrow-down from the search box
   into the results, and saved-search forms that send the search currently in the address bar. */
(function () {
  'use strict';

  var expanded = {}; // facet field -> true while its "more" values are shown

  function setExpanded(button, open) {
    var list = document.getElementById(button.getAttribute('aria-controls'));
    if (!list) return;
    list.hidden = !open;
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
    button.textContent = button.getAttribute(open ? 'data-less-label' : 'data-more-label');
  }

  function restoreExpanded(root) {
    var buttons = (root || document).querySelectorAll('[data-facet-more]');
    for (var i = 0; i < buttons.length; i++) {
      var group = buttons[i].closest('[data-facet-group]');
      if (group && expanded[group.getAttribute('data-facet-group')]) setExpanded(buttons[i], true);
    }
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('[data-facet-more]') : null;
    if (!button) return;
    var open = button.getAttribute('aria-expanded') !== 'true';
    setExpanded(button, open);
    var group = button.closest('[data-facet-group]');
    if (group) expanded[group.getAttribute('data-facet-group')] = open;
    if (open) {
      var list = document.getElementById(button.getAttribute('aria-controls'));
      var first = list && list.querySelector('input');
      if (first) first.focus();
    }
  });

  // New facets arrive with every result: keep the groups the user opened open.
  document.addEventListener('htmx:afterSwap', function (event) {
    if (event.target && event.target.id === 'search-body') restoreExpanded(event.target);
  });

  // Arrow down from the search box goes to the first result; Enter on a tile opens it (it is a link).
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'ArrowDown' || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (!event.target || event.target.id !== 'search-q') return;
    var tile = document.querySelector('#search-body [data-tile]');
    if (!tile) return;
    event.preventDefault();
    tile.focus();
    tile.scrollIntoView({ block: 'nearest' });
  });

  // Saved-search forms carry the search state; after htmx navigation the address bar holds the current one.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute('data-search-state')) return;
    var field = form.querySelector('input[name="query"], input[name="search"]');
    if (field && window.location.pathname === form.getAttribute('data-search-path')) {
      field.value = window.location.search.replace(/^\?/, '');
    }
  }, true);

  // After a failed save (duplicate name), show the form again with the name that was typed.
  document.addEventListener('DOMContentLoaded', function () {
    var toggle = document.querySelector('[data-open-on-load]');
    if (toggle && window.bootstrap && window.bootstrap.Dropdown) {
      window.bootstrap.Dropdown.getOrCreateInstance(toggle).show();
      var input = document.getElementById('saved-name');
      if (input) input.focus();
    }
  });
})();
