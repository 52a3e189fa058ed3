/**
 * Small DOM helpers shared by the wallet and the verifier pages (browser only).
 *
 * el(tag, attrs, ...children): `text` sets textContent, `className` the class,
 * any other key an attribute; children are nodes or strings.
 */

/** A new element with attributes and children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') node.textContent = v;
    else if (k === 'className') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

/** Show `text` in an alert box (and focus it), or hide the box when text is empty. */
export function showAlert(box, text) {
  box.textContent = text || '';
  box.hidden = !text;
  if (text) box.focus();
}
