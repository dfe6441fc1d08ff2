namespace Webhooks.Core.Security;

/// <summary>
/// Protects signing secrets and auth values at rest. The engine wraps whatever subscription store
/// is registered and protects every secret and auth value before the store sees it (and unprotects
/// after it reads), so no store can forget to. The default keeps values as they are;
/// Webhooks.AspNetCore provides one backed by ASP.NET Core Data Protection. Register your own
/// (a KMS, a vault) as a singleton; it must be thread-safe.
/// </summary>
/// <remarks>
/// Synchronous on purpose, like <c>IDataProtector</c>: the engine calls it for every subscription it reads on
/// the delivery path, and protecting is a local computation with cached keys. A protector backed by a
/// remote key service should wrap a locally cached data key (envelope encryption).
/// </remarks>
public interface IWebhookSecretProtector
{
    /// <summary>Returns a protected form of <paramref name="plaintext"/> that is safe to store.</summary>
    /// <param name="plaintext">A secret or auth value.</param>
    /// <returns>The protected value (a string a database column can hold).</returns>
    string Protect(string plaintext);

    /// <summary>Returns the value <see cref="Protect"/> was given.</summary>
    /// <param name="protectedValue">A value returned by <see cref="Protect"/>.</param>
    /// <returns>The plaintext.</returns>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The value was not protected by this protector's keys, or was altered (a <see cref="WebhookException"/> that names no value is also fine).</exception>
    string Unprotect(string protectedValue);
}

/// <summary>Keeps values as they are: for stores that keep subscriptions in process memory only.</summary>
internal sealed class IdentityWebhookSecretProtector : IWebhookSecretProtector
{
    public string Protect(string plaintext) => plaintext;

    public string Unprotect(string protectedValue) => protectedValue;
}
