import { once } from 'node:events';
import { MongoClient } from 'mongodb';

/**
 * patches/mongodb+7.9.0.patch: a write to a connection whose socket is already destroyed (its 'close' event still to
 * come) fails as a network error instead of waiting for ever for a 'drain' that never comes. Without the patch a
 * store restart under load could wedge a process's client for good (patches/README.md). Both tests hang, and time
 * out, on the unpatched driver.
 */
describe('the MongoDB driver on a socket destroyed under it', () => {
  let client: MongoClient;

  beforeEach(async () => {
    // A long heartbeat, so the monitor is idle when the test asks it to check (a check then starts at once).
    client = await MongoClient.connect(process.env.TEST_MONGO_URI!, { heartbeatFrequencyMS: 60_000, serverSelectionTimeoutMS: 5_000 });
  });
  afterEach(() => client.close(true));

  /** The driver's one server (the stack runs a single store), through its internals: the patch is about them. */
  const theServer = (): any => [...(client as any).topology.s.servers.values()][0];

  it('retries a read on a new connection when its pooled connection was destroyed before the read was written', async () => {
    const collection = client.db(process.env.TEST_MONGO_DB).collection('driver_patch');
    await collection.insertOne({ probe: 'pooled' });
    for (const connection of theServer().pool.connections) connection.socket.destroy();

    expect(await collection.findOne({ probe: 'pooled' })).toMatchObject({ probe: 'pooled' });
  });

  // The monitor polls here: FerretDB sends no topologyVersion, so the driver does not stream its checks. Against a
  // MongoDB that streams them, this test would not reach the patched write.
  it("fails the monitor's check on a destroyed socket, so the next check connects again", async () => {
    const server = theServer();
    await new Promise((resolve) => setTimeout(resolve, 600)); // past minHeartbeatFrequencyMS: the check runs at once
    const failed = once(client, 'serverHeartbeatFailed');
    server.monitor.connection.socket.destroy();
    server.monitor.requestCheck();

    const [event] = await failed;
    expect(String(event.failure)).toMatch(/closed/);
    const succeeded = once(client, 'serverHeartbeatSucceeded');
    expect(await client.db(process.env.TEST_MONGO_DB).command({ ping: 1 })).toMatchObject({ ok: 1 });
    await succeeded;
  });
});
