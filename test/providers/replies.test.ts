import { ProviderError } from '../../src/providers/errors';
import { every8dReport, parseSendReply as parseEvery8d } from '../../src/providers/every8d';
import { mitakeReport, parseSendReply as parseMitake } from '../../src/providers/mitake';
import { twilioReport } from '../../src/providers/twilio';

const failure = (fn: () => unknown): ProviderError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error('expected a ProviderError');
};

describe('Every8d replies', () => {
  it('reads CREDIT,SENDED,COST,UNSEND,BATCH_ID', () => {
    expect(parseEvery8d('999630.00,1,2,0,7eff1d50-8814-4f17-aa61-cb23b97987fa')).toEqual({
      providerMessageId: '7eff1d50-8814-4f17-aa61-cb23b97987fa',
      reportedCost: 2,
    });
  });

  it.each([
    ['-2,帳號或密碼錯誤', 'provider', false],
    ['-8,手機號碼格式錯誤', 'message', false],
    ['-99,主機端發生不明錯誤', 'provider', true],
    ['100.0,0,0,1,7eff1d50-8814-4f17-aa61-cb23b97987fa', 'provider', false], // UNSEND: no credit
  ])('classifies %s as %s-level (retryable: %s)', (reply, scope, retryable) => {
    expect(failure(() => parseEvery8d(reply))).toMatchObject({ scope, retryable });
  });

  it('treats an unreadable reply as ambiguous: it may have been sent', () => {
    expect(failure(() => parseEvery8d('<html>gateway error</html>'))).toMatchObject({ code: 'malformed_reply', ambiguous: true, retryable: false });
  });

  it('maps delivery STATUS codes, leaving pending ones undecided', () => {
    expect(every8dReport('b', '100')).toMatchObject({ outcome: 'delivered' });
    expect(every8dReport('b', '103')).toMatchObject({ outcome: 'undelivered', errorCode: '103' });
    expect(every8dReport('b', '0')).toBeUndefined();
    expect(every8dReport('b', '700')).toBeUndefined();
  });
});

describe('Mitake replies', () => {
  it('reads the INI-like block and strips the # from msgid', () => {
    expect(parseMitake('[1]\r\nmsgid=#0000000013\r\nstatuscode=1\r\nAccountPoint=126\r\n')).toEqual({ providerMessageId: '0000000013', duplicate: false });
  });

  it('notices Duplicate=Y for a repeated clientid', () => {
    expect(parseMitake('[abc]\r\nmsgid=123\r\nstatuscode=1\r\nDuplicate=Y\r\n')).toMatchObject({ providerMessageId: '123', duplicate: true });
  });

  it.each([
    ['e', 'provider', false],
    ['s', 'provider', false],
    ['v', 'message', false],
    ['*', 'provider', true],
  ])('classifies statuscode %s as %s-level (retryable: %s)', (code, scope, retryable) => {
    expect(failure(() => parseMitake(`[1]\r\nstatuscode=${code}\r\n`))).toMatchObject({ code, scope, retryable });
  });

  it('reads delivery from StatusFlag', () => {
    expect(mitakeReport('m', '4')).toMatchObject({ outcome: 'delivered' });
    expect(mitakeReport('m', '6')).toMatchObject({ outcome: 'undelivered' });
    expect(mitakeReport('m', '1')).toBeUndefined();
  });
});

describe('Twilio status callbacks', () => {
  it('turns only final statuses into receipts', () => {
    expect(twilioReport({ MessageSid: 'SM1', MessageStatus: 'sent' })).toBeUndefined();
    expect(twilioReport({ MessageSid: 'SM1', MessageStatus: 'delivered' })).toMatchObject({ outcome: 'delivered' });
    expect(twilioReport({ MessageSid: 'SM1', MessageStatus: 'failed', ErrorCode: '30005' })).toMatchObject({ outcome: 'undelivered', errorCode: '30005' });
  });
});
