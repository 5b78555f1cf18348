/**
 * V8 settings the server runs with. Imported for its effect, before anything else is loaded
 * (bin/factoryops.js, and the ingest benchmark so it measures the server as run).
 *
 * Allocation-site pretenuring is off. The ingest hot path allocates millions of small objects a
 * second that die within one batch (points, samples, acknowledgement closures). Pretenuring
 * sees the sites' objects survive one young-generation collection (a batch waits a few ms for
 * its commit) and starts allocating them straight in the old generation, where they then pile
 * up until a full mark-compact: on this 2-core machine pipeline.submit spent ~30 % of the main
 * thread and GC another ~20 %, and the rate a server could ingest halved
 * (`npm run bench:ingest`, QoS 0 against bare Aedes: 27 % with pretenuring, 115–139 % without).
 *
 * Set at run time rather than on the node command line so every way of starting the server
 * (npm scripts, the bundle's start script, `node bin/factoryops.js`) gets it; the benchmark's
 * figures with this module match those of `node --no-allocation-site-pretenuring`.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-allocation-site-pretenuring');
