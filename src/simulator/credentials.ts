/** The simulators' accounts: what `npm start` seeds, and what production refuses to run with. */
export const SIMULATOR_CREDENTIALS = {
  twilio: { account_sid: 'AC00000000000000000000000000000001', auth_token: 'simulator-twilio-auth-token' },
  every8d: { username: 'luckygas-sim', password: 'every8d-sim-password' },
  mitake: { username: 'luckygas-sim', password: 'mitake-sim-password' },
};
