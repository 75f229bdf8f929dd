// The scan of a document item: one page at a time on a canvas, with zoom, rotation and
// paging. The page images come from GET /api/v1/exceptions/{id}/document?page=N.

import { h, replace } from './dom.js';

const ZOOM_STEPS = [0.25, 0.33, 0.5, 0.67, 0.75, 0.9, 1, 1.25, 1.5, 2, 3];

export function scanViewer(exceptionId, pages, announce) {
  let page = 1;
  let zoom = null; // null: fit the frame's width
  let rotation = 0;
  let image = null;

  const canvas = h('canvas', { role: 'img', 'aria-label': 'Scan, loading' });
  const frame = h('div', { class: 'scan-frame', tabindex: '0', 'aria-label': 'Scan (scrollable)' }, canvas);
  const pageInfo = h('span', { class: 'page-info', 'aria-live': 'off' });
  const zoomInfo = h('span', { class: 'zoom-info' });
  const problem = h('p', { class: 'error', hidden: true });

  const button = (text, keyHint, onclick, label) =>
    h('button', { type: 'button', class: 'secondary small', onclick, 'aria-label': label || null,
      'aria-keyshortcuts': keyHint || null }, text);
  const prevButton = button('Previous page', '[', () => goTo(page - 1));
  const nextButton = button('Next page', ']', () => goTo(page + 1));
  const toolbar = h('div', { class: 'scan-tools', role: 'group', 'aria-label': 'Scan controls' },
    prevButton, pageInfo, nextButton,
    button('−', '-', () => zoomBy(-1), 'Zoom out'),
    zoomInfo,
    button('+', '+', () => zoomBy(1), 'Zoom in'),
    button('Fit width', null, () => { zoom = null; draw(); }),
    button('Rotate', 'o', () => rotate()));

  function describe() {
    replace(pageInfo, `Page ${page} of ${pages}`);
    prevButton.disabled = page <= 1;
    nextButton.disabled = page >= pages;
  }

  function currentScale() {
    if (!image) return 1;
    const rotated = rotation % 180 !== 0;
    const width = rotated ? image.naturalHeight : image.naturalWidth;
    if (zoom !== null) return zoom;
    const available = Math.max(200, frame.clientWidth - 8);
    return Math.min(2, available / width);
  }

  function draw() {
    if (!image) return;
    const rotated = rotation % 180 !== 0;
    const w = rotated ? image.naturalHeight : image.naturalWidth;
    const hgt = rotated ? image.naturalWidth : image.naturalHeight;
    canvas.width = w;
    canvas.height = hgt;
    const c = canvas.getContext('2d');
    c.save();
    c.translate(w / 2, hgt / 2);
    c.rotate((rotation * Math.PI) / 180);
    c.drawImage(image, -image.naturalWidth / 2, -image.naturalHeight / 2);
    c.restore();
    const scale = currentScale();
    // CSSOM, not a style attribute: allowed by the Content-Security-Policy.
    canvas.style.width = `${Math.round(w * scale)}px`;
    replace(zoomInfo, `${Math.round(scale * 100)}%`);
    canvas.setAttribute('aria-label',
      `Scan, page ${page} of ${pages}${rotation ? `, turned ${rotation} degrees` : ''}. What the bot read from it is shown as text.`);
  }

  function load() {
    describe();
    problem.hidden = true;
    const next = new Image();
    next.decoding = 'async';
    next.onload = () => {
      image = next;
      draw();
    };
    next.onerror = () => {
      problem.hidden = false;
      replace(problem, `Page ${page} of the scan could not be loaded.`);
    };
    next.src = `/api/v1/exceptions/${encodeURIComponent(exceptionId)}/document?page=${page}`;
  }

  function goTo(n) {
    if (n < 1 || n > pages || n === page) return;
    page = n;
    load();
    announce(`Page ${page} of ${pages}`);
  }

  function zoomBy(direction) {
    const scale = currentScale();
    let index = ZOOM_STEPS.findIndex((z) => z >= scale - 0.001);
    if (index < 0) index = ZOOM_STEPS.length - 1;
    if (direction > 0) index = ZOOM_STEPS[index] > scale + 0.001 ? index : index + 1;
    else index -= 1;
    zoom = ZOOM_STEPS[Math.max(0, Math.min(ZOOM_STEPS.length - 1, index))];
    draw();
    announce(`Zoom ${Math.round(zoom * 100)}%`);
  }

  function rotate() {
    rotation = (rotation + 90) % 360;
    draw();
    announce(`Scan turned ${rotation} degrees`);
  }

  load();
  return {
    element: h('section', { class: 'scan', 'aria-labelledby': `scan-heading-${exceptionId}` },
      h('h2', { id: `scan-heading-${exceptionId}` }, 'Scan'), toolbar, problem, frame),
    prevPage: () => goTo(page - 1),
    nextPage: () => goTo(page + 1),
    zoomIn: () => zoomBy(1),
    zoomOut: () => zoomBy(-1),
    rotate,
    redraw: draw,
  };
}
