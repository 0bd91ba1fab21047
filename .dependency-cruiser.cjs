// Dependency direction (STYLE.md): layers import only downwards. The engine
// (backend, repo, source, mover) never imports k8s, controllers, cli or bin.
const layers = ['core', 'config', 'backend', 'repo', 'source', 'mover', 'consistency', 'observability', 'k8s', 'controllers', 'server', 'cli', 'bin'];
const below = {
  core: [],
  config: ['core'],
  backend: ['core'],
  repo: ['core', 'backend'],
  source: ['core'],
  mover: ['core', 'backend', 'repo', 'source'],
  consistency: ['core', 'config'],
  observability: ['core'],
  k8s: ['core', 'config'],
  controllers: ['core', 'config', 'k8s', 'observability', 'consistency'],
  server: ['core', 'observability'],
  cli: ['core', 'config', 'backend', 'repo', 'source', 'mover', 'observability', 'consistency', 'k8s'],
  bin: layers,
};
const forbidden = layers.map((layer) => ({
  name: `${layer}-imports-down-only`,
  severity: 'error',
  comment: `src/${layer} may import only: ${below[layer].join(', ') || 'nothing else in src'}`,
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(?!(?:${[layer, ...below[layer]].join('|')})/)[^/]+/` },
}));
forbidden.push(
  { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  { name: 'no-tests-from-code', severity: 'error', from: { path: '^src/', pathNot: '\\.(test|contract|bench)\\.ts$' }, to: { path: '\\.(test|contract)\\.ts$' } },
);
module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
