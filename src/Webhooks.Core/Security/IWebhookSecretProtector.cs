using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Security;

/// <summary>
/// Protects signing secrets and auth values at rest. A store that writes subscriptions anywhere
/// but process memory calls <see cref="WebhookSecretProtectorExtensions.ProtectSecrets"/> before it
/// writes and <see cref="WebhookSecretProtectorExtensions.UnprotectSecrets"/> after it reads. The
/// default keeps values as they are (the in-memory store holds them in process memory only);
/// Webhooks.AspNetCore provides one backed by ASP.NET Core Data Protection. Register your own
/// (a KMS, a vault) as a singleton; it must be thread-safe.
/// </summary>
/// <remarks>
/// Synchronous on purpose, like <c>IDataProtector</c>: stores call it for every row they read on the
/// delivery path, and protecting is a local computation with cached keys. A protector backed by a
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

/// <summary>Applies an <see cref="IWebhookSecretProtector"/> to every secret a subscription holds, for store authors.</summary>
public static class WebhookSecretProtectorExtensions
{
    /// <summary>A copy of <paramref name="subscription"/> with each signing secret and the auth secret protected, ready to store.</summary>
    /// <param name="protector">The protector.</param>
    /// <param name="subscription">The subscription in plaintext.</param>
    /// <returns>The copy to write; other fields are unchanged.</returns>
    public static WebhookSubscription ProtectSecrets(this IWebhookSecretProtector protector, WebhookSubscription subscription)
    {
        ArgumentNullException.ThrowIfNull(protector);
        ArgumentNullException.ThrowIfNull(subscription);
        return Transform(subscription, protector.Protect);
    }

    /// <summary>The reverse of <see cref="ProtectSecrets"/>, for a subscription read from storage.</summary>
    /// <param name="protector">The protector.</param>
    /// <param name="subscription">The subscription as stored.</param>
    /// <returns>The subscription in plaintext.</returns>
    /// <exception cref="WebhookException">A value could not be unprotected (for example the keys changed); the message names the subscription, never the value.</exception>
    public static WebhookSubscription UnprotectSecrets(this IWebhookSecretProtector protector, WebhookSubscription subscription)
    {
        ArgumentNullException.ThrowIfNull(protector);
        ArgumentNullException.ThrowIfNull(subscription);
        try
        {
            return Transform(subscription, protector.Unprotect);
        }
        catch (WebhookException ex)
        {
            // A protector that already explains itself (Webhooks.AspNetCore's Data Protection one): add which subscription.
            throw new WebhookException($"The secrets of subscription '{subscription.Id}' could not be unprotected. {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is not WebhookException and not OperationCanceledException)
        {
            // The inner exception's type is kept for diagnosis; its message may quote the input, so it is not.
            throw new WebhookException(
                $"The secrets of subscription '{subscription.Id}' could not be unprotected ({ex.GetType().Name}); the protection keys may have changed. Restore the keys, or rotate the subscription's secret.");
        }
    }

    private static WebhookSubscription Transform(WebhookSubscription s, Func<string, string> apply) => s with
    {
        Secrets = [.. s.Secrets.Select(x => x with { Value = apply(x.Value) })],
        Auth = s.Auth.Secret is null ? s.Auth : s.Auth with { Secret = apply(s.Auth.Secret) },
    };
}
