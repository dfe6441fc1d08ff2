using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Webhooks.Core;
using Webhooks.Core.Security;

namespace Webhooks.AspNetCore.DataProtection;

/// <summary>
/// Protects signing secrets and auth values with ASP.NET Core Data Protection (authenticated
/// encryption with the app's key ring, keys rotated by the key manager; old keys still decrypt).
/// </summary>
internal sealed class DataProtectionWebhookSecretProtector : IWebhookSecretProtector
{
    /// <summary>The purpose string: a different purpose (or a different app's key ring) cannot read the values.</summary>
    public const string Purpose = "Webhooks.Core.Secrets.v1";

    private readonly IDataProtector _protector;

    public DataProtectionWebhookSecretProtector(IDataProtectionProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _protector = provider.CreateProtector(Purpose);
    }

    public string Protect(string plaintext)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        return _protector.Protect(plaintext);
    }

    public string Unprotect(string protectedValue)
    {
        ArgumentNullException.ThrowIfNull(protectedValue);
        try
        {
            return _protector.Unprotect(protectedValue);
        }
        catch (CryptographicException ex)
        {
            // Data Protection's messages name key ids, never the payload; kept as the inner exception for diagnosis.
            throw new WebhookException(
                "A stored webhook secret could not be unprotected with ASP.NET Core Data Protection: it was protected with a key this app's key ring does not hold (keys not persisted or not shared between instances, or a different application name), or it was altered. Persist and share the key ring (PersistKeysToFileSystem, PersistKeysToDbContext, ...) with the same SetApplicationName, or rotate the subscription's secret.",
                ex);
        }
    }
}
