import { runMain } from '../bootstrap';
import { loadConfig, publicBaseUrl, simulatorCredit } from '../config';
import { SIMULATOR_CREDENTIALS, startSimulators } from '.';

/** The simulators alone (docker-compose, benchmarks): Twilio, Every8d, Mitake on SIMULATOR_PORT, +1, +2. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Their control API (/_sim/*) lets anyone script provider behaviour and read sent texts: never in production.
  if (config.APP_ENV === 'production') throw new Error('The provider simulators do not run in production (APP_ENV=production)');
  const sims = await startSimulators(config.HOST, config.SIMULATOR_PORT, publicBaseUrl(config), config.WEBHOOK_TOKEN, simulatorCredit(config));
  console.log(`Simulators: ${JSON.stringify(sims.urls)}\nCredentials: ${JSON.stringify(SIMULATOR_CREDENTIALS)}`);
  const stop = () => void sims.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

runMain(main);
