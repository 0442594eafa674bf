/**
 * The small project the demo's team works on: a shop's cart module with a missing function, as
 * a fresh git repository in a temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const FILES: Record<string, string> = {
  'README.md': '# tiny-shop\n\nA very small shop: products, a cart, and a checkout that needs a cart total.\n',
  'package.json': `${JSON.stringify({ name: 'tiny-shop', version: '1.0.0', type: 'module', scripts: { test: 'node --test' } }, null, 2)}\n`,
  'src/products.js': [
    'export const products = [',
    "  { id: 'apple', name: 'Apple', price: 0.5 },",
    "  { id: 'bread', name: 'Bread', price: 2.25 },",
    "  { id: 'cheese', name: 'Cheese', price: 4.0 },",
    '];',
    '',
  ].join('\n'),
  'src/cart.js': [
    "import { products } from './products.js';",
    '',
    '/** A cart is a list of { id, quantity } lines. */',
    'export function addLine(cart, id, quantity = 1) {',
    '  return [...cart, { id, quantity }];',
    '}',
    '',
    '// TODO: cartTotal(cart) — the sum of price × quantity, rounded to cents.',
    '',
  ].join('\n'),
};

export const DEMO_REQUIREMENT = 'Add a cartTotal(cart) function to src/cart.js with tests';

export function writeSampleProject(dir: string): void {
  for (const [file, content] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  writeFileSync(path.join(dir, '.gitignore'), '.maestro/\n.workflow/\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.email=demo@maestro.invalid', '-c', 'user.name=maestro demo', 'add', '.');
  git('-c', 'user.email=demo@maestro.invalid', '-c', 'user.name=maestro demo', 'commit', '-q', '-m', 'tiny-shop');
}
