import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CmdletError } from '../shell/values.js';
import { compileOpath, filterText, parseOpath } from './opath.js';

type Rec = Record<string, unknown>;
const FILTERABLE = ['Name', 'Alias', 'EmailAddresses', 'ForwardingSmtpAddress', 'UseDatabaseQuotaDefaults', 'RecipientTypeDetails', 'Database'];
const alice: Rec = {
  Name: 'Alice Smith',
  Alias: 'alice',
  EmailAddresses: ['SMTP:alice@contoso.com', 'smtp:a.smith@fabrikam.com'],
  ForwardingSmtpAddress: null,
  UseDatabaseQuotaDefaults: true,
  RecipientTypeDetails: 'UserMailbox',
  Database: 'DB01',
};
const bob: Rec = { Name: 'Bob Jones', Alias: 'bob', EmailAddresses: ['SMTP:bob@contoso.com'], ForwardingSmtpAddress: 'bob@fabrikam.com', UseDatabaseQuotaDefaults: false, RecipientTypeDetails: 'UserMailbox', Database: 'DB02' };
const sales: Rec = { Name: "Sales O'Neil", Alias: 'sales', EmailAddresses: ['SMTP:sales@contoso.com'], ForwardingSmtpAddress: null, UseDatabaseQuotaDefaults: true, RecipientTypeDetails: 'MailUniversalDistributionGroup', Database: null };

const run = (filter: unknown) => {
  const test = compileOpath(filter, FILTERABLE);
  return [alice, bob, sales].filter((r) => test((p) => r[p])).map((r) => r.Alias);
};

function refused(filter: unknown, pattern: RegExp): void {
  assert.throws(
    () => run(filter),
    (err: unknown) => {
      assert.ok(err instanceof CmdletError, String(err));
      assert.match(err.message, /^Cannot bind parameter 'Filter' to the target\. Exception setting "Filter": /);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('OPATH recipient filters', () => {
  it('compares text case-insensitively with -eq, -ne, -like and -notlike', () => {
    assert.deepEqual(run("Alias -eq 'ALICE'"), ['alice']);
    assert.deepEqual(run("Alias -ne 'alice'"), ['bob', 'sales']);
    assert.deepEqual(run("Name -like '*o*'"), ['bob', 'sales']);
    assert.deepEqual(run("Name -notlike 'A*'"), ['bob', 'sales']);
    assert.deepEqual(run('RecipientTypeDetails -eq UserMailbox'), ['alice', 'bob']);
  });

  it('joins terms with -and, -or, -not and parentheses (-and binds tighter than -or)', () => {
    assert.deepEqual(run("Alias -eq 'bob' -or Alias -eq 'sales' -and Database -eq 'DB01'"), ['bob']);
    assert.deepEqual(run("(Alias -eq 'bob' -or Alias -eq 'sales') -and Database -eq 'DB02'"), ['bob']);
    assert.deepEqual(run("-not (RecipientTypeDetails -eq 'UserMailbox')"), ['sales']);
    assert.deepEqual(run("-not(Alias -like 'a*') -and -not (Alias -like 's*')"), ['bob']);
  });

  it('matches $null, $true and $false', () => {
    assert.deepEqual(run('ForwardingSmtpAddress -eq $null'), ['alice', 'sales']);
    assert.deepEqual(run('ForwardingSmtpAddress -ne $null'), ['bob']);
    assert.deepEqual(run('Database -eq $null'), ['sales']);
    assert.deepEqual(run('UseDatabaseQuotaDefaults -eq $false'), ['bob']);
    assert.deepEqual(run("UseDatabaseQuotaDefaults -eq 'True'"), ['alice', 'sales']);
  });

  it('matches a multi-valued property when any value matches, with or without the smtp: prefix', () => {
    assert.deepEqual(run("EmailAddresses -like '*@fabrikam.com'"), ['alice']);
    assert.deepEqual(run("EmailAddresses -eq 'smtp:a.smith@fabrikam.com'"), ['alice']);
    assert.deepEqual(run("EmailAddresses -eq 'bob@contoso.com'"), ['bob']);
    assert.deepEqual(run("EmailAddresses -notlike '*@fabrikam.com'"), ['bob', 'sales']);
  });

  it('takes values in single or double quotes, doubled quotes inside, and a script block', () => {
    assert.deepEqual(run('Name -eq "Sales O\'Neil"'), ['sales']);
    assert.deepEqual(run("Name -eq 'Sales O''Neil'"), ['sales']);
    const block = { kind: 'scriptblock', text: '{ Alias -like \'b*\' -or Alias -eq "sales" }' };
    assert.equal(filterText(block), 'Alias -like \'b*\' -or Alias -eq "sales"');
    assert.deepEqual(run(block), ['bob', 'sales']);
  });

  it("refuses an unknown property with Exchange's wording and the valid names", () => {
    refused("Aliass -eq 'bob'", /""Aliass" is not a recognized filterable property\. Valid property names are: Alias, Database, EmailAddresses/);
  });

  it('refuses bad syntax with the position, unsupported operators and variables in braces', () => {
    refused("Alias -eq 'bob' -and", /Invalid filter syntax\. For a description of the filter parameter syntax see the command help\.\n"Alias -eq 'bob' -and" at position 21\./);
    refused("(Alias -eq 'bob'", /A closing parenthesis is missing/);
    refused("Alias -eq 'bob", /The quoted string is not closed/);
    refused('Alias -gt 3', /The operator -gt is not supported in a recipient filter/);
    refused({ kind: 'scriptblock', text: '{ Alias -eq $who }' }, /The variable \$who is not expanded here/);
    refused("$_.Alias -eq 'bob'", /starts with a property name, not a variable/);
    refused('', /The filter is empty/);
  });

  it('parses into a tree of terms', () => {
    assert.deepEqual(parseOpath("Alias -eq 'a' -or -not Name -like 'b*'"), {
      kind: 'or',
      left: { kind: 'cmp', property: 'Alias', op: 'eq', value: 'a' },
      right: { kind: 'not', operand: { kind: 'cmp', property: 'Name', op: 'like', value: 'b*' } },
    });
  });
});
