// After `npm ci`: keeps the better-sqlite3 addon it compiled in npm's cache of prebuilt binaries,
// under the name prebuild-install looks for there, so the next `npm ci` unpacks it instead of
// compiling for minutes (GitHub, where the prebuilt binaries live, is out of reach here). The key
// holds the package version, Node's ABI, the platform and the architecture; prebuild-install loads
// a cached binary before using it, and compiles again when it does not load.
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync } = require('node:fs');
const path = require('node:path');

const dir = path.resolve('node_modules/better-sqlite3');
const built = 'build/Release/better_sqlite3.node';
process.chdir(dir); // where prebuild-install runs, for the same configuration
const pkg = require(path.join(dir, 'package.json'));
const prebuild = path.dirname(require.resolve('prebuild-install/package.json', { paths: [dir] }));
const util = require(path.join(prebuild, 'util.js'));
const opts = { ...require(path.join(prebuild, 'rc.js'))(pkg), pkg };
const cached = util.cachedPrebuild(util.getDownloadUrl(opts));
if (existsSync(built) && !existsSync(cached)) {
  mkdirSync(path.dirname(cached), { recursive: true });
  execFileSync('tar', ['-czf', cached, built]);
  console.log(`kept the compiled better-sqlite3 for the next npm ci: ${cached}`);
}
