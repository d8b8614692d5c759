// New-Object for the types admins build in Exchange scripts: PSCredential
// (user name and SecureString, as .NET's constructor), PSObject /
// PSCustomObject with -Property, and Hashtable. Other types are refused.

import { ConversionError } from '../command.js';
import { dotNetTypeName, enumerate, isNull, toStr } from '../conversion.js';
import { LocalCommandError } from '../errors.js';
import { Hashtable, PSCredential, PSObject, SecureString } from '../values.js';
import { ArrayList, listTypeName } from '../arraylist.js';
import { arg, builtin, objectParam, stringParam } from './define.js';

function ctorError(message: string, reason = 'MethodException'): LocalCommandError {
  return new LocalCommandError(message, { errorId: 'ConstructorInvokedThrowException', category: 'InvalidOperation', reason });
}

function makeCredential(args: unknown[]): PSCredential {
  if (args.length !== 2) throw ctorError(`Cannot find an overload for "PSCredential" and the argument count: "${args.length}".`);
  const [user, password] = args;
  if (!(password instanceof SecureString)) {
    throw ctorError(
      `Cannot convert argument "password", with value: "${toStr(password)}", for "PSCredential" to type "System.Security.SecureString": "Cannot convert the "${toStr(password)}" value of type "${dotNetTypeName(password)}" to type "System.Security.SecureString"."`,
    );
  }
  const name = toStr(user);
  if (isNull(user) || name === '') {
    throw ctorError(
      'Exception calling ".ctor" with "2" argument(s): "Cannot process argument because the value of argument "userName" is not valid. Change the value of the "userName" argument and run the operation again."',
      'MethodInvocationException',
    );
  }
  return new PSCredential(name, password);
}

export const newObject = builtin('Utility', {
  name: 'New-Object',
  synopsis: 'Creates an instance of a Microsoft .NET Framework or COM object.',
  description: 'Supported types: System.Management.Automation.PSCredential (user name, SecureString password), PSObject / PSCustomObject (with -Property) and System.Collections.Hashtable.',
  parameters: [
    stringParam('TypeName', { position: 0, mandatory: true }),
    objectParam('ArgumentList', { position: 1, aliases: ['Args'], typeName: 'Object[]' }),
    objectParam('Property', {
      typeName: 'IDictionary',
      convert: (v) => {
        if (v instanceof Hashtable) return v;
        throw new ConversionError(`Cannot convert the "${toStr(v)}" value of type "${dotNetTypeName(v)}" to type "System.Collections.IDictionary".`);
      },
    }),
  ],
  examples: [
    {
      code: "$c = New-Object System.Management.Automation.PSCredential('relay', (ConvertTo-SecureString 'P@ssw0rd' -AsPlainText -Force))",
      remarks: 'A credential without a prompt.',
    },
  ],
  invoke(args) {
    const typeName = arg<string>(args, 'TypeName') ?? '';
    const t = typeName.toLowerCase().replace(/^system\./, '');
    const ctorArgs = args.has('ArgumentList') ? enumerate(args.get('ArgumentList')) : [];
    const props = arg<Hashtable>(args, 'Property');
    let obj: unknown;
    if (t === 'management.automation.pscredential' || t === 'pscredential') obj = makeCredential(ctorArgs);
    else if (t === 'management.automation.psobject' || t === 'psobject' || t === 'object' || t === 'management.automation.pscustomobject' || t === 'pscustomobject') {
      obj = new PSObject('System.Management.Automation.PSCustomObject');
    } else if (t === 'collections.hashtable' || t === 'hashtable') obj = new Hashtable();
    else if (listTypeName(typeName)) obj = ArrayList.create(listTypeName(typeName), ctorArgs.length === 1 && typeof ctorArgs[0] !== 'number' ? enumerate(ctorArgs[0]) : []);
    else {
      throw new LocalCommandError(`Cannot find type [${typeName}]: verify that the assembly containing this type is loaded.`, {
        errorId: 'TypeNotFound',
        category: 'InvalidType',
        reason: 'PSArgumentException',
      });
    }
    if (props) {
      for (const [k, v] of props.pairs()) {
        if (obj instanceof PSObject) obj.set(toStr(k), v);
        else if (obj instanceof Hashtable) obj.set(k, v);
        else {
          throw new LocalCommandError(`The member "${toStr(k)}" was not found for the specified .NET object.`, {
            errorId: 'InvalidOperationException',
            category: 'InvalidOperation',
            reason: 'InvalidOperationException',
          });
        }
      }
    }
    return [obj];
  },
});
