import { ProviderError } from '../../src/providers/errors';
import { every8dReport, parseCreditReply, parseSendReply as parseEvery8d } from '../../src/providers/every8d';
import { mitakeReport, parseBalanceReply, parseSendReply as parseMitake } from '../../src/providers/mitake';
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
      balance: 999630,
    });
  });

  it('reads UNSEND as insufficient credit: a provider-level failure carrying the CREDIT left', () => {
    expect(failure(() => parseEvery8d('1.00,0,0,1,7eff1d50-8814-4f17-aa61-cb23b97987fa'))).toMatchObject({
      code: 'no_credit',
      scope: 'provider',
      retryable: false,
      ambiguous: false,
      balance: 1,
    });
  });

  it('reads getCredit.ashx: the points alone, or a send-style error', () => {
    expect(parseCreditReply('79.0')).toBe(79);
    expect(parseCreditReply('0')).toBe(0);
    expect(failure(() => parseCreditReply('-2,帳號或密碼錯誤'))).toMatchObject({ code: '-2', scope: 'provider', retryable: false });
    expect(failure(() => parseCreditReply('-99,主機端發生不明錯誤'))).toMatchObject({ code: '-99', retryable: true });
    expect(failure(() => parseCreditReply('<html>oops</html>'))).toMatchObject({ code: 'malformed_reply', retryable: true });
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
    expect(parseMitake('[1]\r\nmsgid=#0000000013\r\nstatuscode=1\r\nAccountPoint=126\r\n')).toEqual({
      providerMessageId: '0000000013',
      duplicate: false,
      balance: 126,
    });
  });

  it('reads statuscode s (帳務處理失敗) as insufficient points: fail over, none left unless AccountPoint says', () => {
    expect(failure(() => parseMitake('[m1]\r\nstatuscode=s\r\nError=帳務處理失敗，無法發送簡訊\r\n'))).toMatchObject({
      code: 's',
      scope: 'provider',
      retryable: false,
      balance: 0,
    });
    expect(failure(() => parseMitake('[m1]\r\nstatuscode=s\r\nAccountPoint=1\r\n'))).toMatchObject({ balance: 1 });
  });

  it('reads the SmQuery balance reply, and its errors', () => {
    expect(parseBalanceReply('AccountPoint=110\r\n')).toBe(110);
    expect(failure(() => parseBalanceReply('e'))).toMatchObject({ code: 'e', scope: 'provider', retryable: false });
    expect(failure(() => parseBalanceReply('*'))).toMatchObject({ code: '*', retryable: true });
    expect(failure(() => parseBalanceReply('<html/>'))).toMatchObject({ code: 'malformed_reply' });
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
