"""Real-looking bot-check and challenge pages (shapes of the interstitials protections serve), for the tests."""

from __future__ import annotations

CLOUDFLARE = b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta http-equiv="X-UA-Compatible" content="IE=Edge">
<meta name="robots" content="noindex,nofollow"><meta name="viewport" content="width=device-width,initial-scale=1">
<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15}body{display:flex;flex-direction:column}</style>
<meta http-equiv="refresh" content="390"></head><body class="no-js"><div class="main-wrapper" role="main">
<div class="main-content"><noscript><div id="challenge-error-title"><div class="h2"><span class="icon-wrapper">
<div class="heading-icon warning-icon"></div></span><span id="challenge-error-text">Enable JavaScript and cookies to
continue</span></div></div></noscript></div></div><script>(function(){window._cf_chl_opt={cvId: '3',cZone: "news.example.org",
cType: 'managed',cRay: '8c2f9a1b0e6d4f21',cH: 'Xq8dW1.k',cUPMDTk: "\\/archives\\/1?__cf_chl_tk=abc",
cFPWv: 'b',cITimeS: '1717000000',cTplV: 5};var cpo = document.createElement('script');
cpo.src = '/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=8c2f9a1b0e6d4f21';
window._cf_chl_opt.cOgUHash = location.hash === '' ? '' : location.hash;
document.getElementsByTagName('head')[0].appendChild(cpo);}());</script></body></html>"""

CLOUDFLARE_BLOCK = b"""<!DOCTYPE html><!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<html class="no-js" lang="en-US"><head><title>Attention Required! | Cloudflare</title><meta charset="UTF-8" />
<link rel="stylesheet" id="cf_styles-css" href="/cdn-cgi/styles/cf.errors.css" /></head><body>
<div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper"><div class="cf-wrapper cf-header cf-error-overview">
<h1 data-translate="block_headline">Sorry, you have been blocked</h1><h2 class="cf-subheadline">
<span data-translate="unable_to_access">You are unable to access</span> news.example.org</h2></div>
<div class="cf-section cf-wrapper"><h2 data-translate="blocked_why_headline">Why have I been blocked?</h2>
<p data-translate="blocked_why_detail">This website is using a security service to protect itself from online attacks.</p>
</div><div class="cf-footer-item">Cloudflare Ray ID: <strong class="font-semibold">8c2f9a1b0e6d4f21</strong></div>
</div></div></body></html>"""

DATADOME = b"""<html lang="en"><head><title>news.example.org</title><style>#cmsg{animation: A 1.5s;}</style></head>
<body style="margin:0"><p id="cmsg">Please enable JS and disable any ad blocker</p>
<script data-cfasync="false">var dd={'rt':'c','cid':'AHrlqAAAAAMAyw','hsh':'2211F522B61E269B869FA6EAFFB5E1',
't':'fe','s':17434,'e':'f4c2','host':'geo.captcha-delivery.com','cookie':'abc'}</script>
<script data-cfasync="false" src="https://ct.captcha-delivery.com/c.js"></script></body></html>"""

PERIMETERX = b"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Access to this page has been denied</title><meta name="viewport" content="width=device-width, initial-scale=1">
<style>.container{max-width:600px;margin:auto}</style></head><body><section class="container"><div class="page-title-wrapper">
<h1 class="page-title">Press &amp; Hold to confirm you are<br>a human (and not a bot).</h1></div>
<div id="px-captcha"></div><div class="page-footer-wrapper"><p>Reference ID 3c9a0f50-1e2b-11ef-9d3e-5a6b7c8d9e0f</p></div>
</section><script>window._pxAppId = 'PXabc123';window._pxJsClientSrc = '/abc123/init.js';
window._pxHostUrl = '/abc123/xhr';</script><script src="https://captcha.px-cdn.net/PXabc123/captcha.js?a=c&m=0"></script>
</body></html>"""

AKAMAI = b"""<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>

You don't have permission to access "http&#58;&#47;&#47;news&#46;example&#46;org&#47;archives&#47;1" on this server.<P>
Reference&#32;&#35;18&#46;a1b2c3d4&#46;1717000000&#46;5e6f7a8b
<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;a1b2c3d4&#46;1717000000&#46;5e6f7a8b</P>
</BODY>
</HTML>
"""

SUCURI = b"""<!DOCTYPE html><html lang="en"><head><title>Sucuri WebSite Firewall - Access Denied</title>
<link rel="stylesheet" href="https://cdn.sucuri.net/sucuri-firewall-block.css"></head><body><div id="main-container">
<h1>Access Denied - Sucuri Website Firewall</h1><p>If you are the site owner (or you manage this site), please whitelist
your IP or if you think this block is an error please open a support ticket.</p>
<table><tr><td>Block ID:</td><td>BNP005</td></tr><tr><td>Block reason:</td><td>Bad bot access attempt.</td></tr></table>
<p>Contact <a href="mailto:cloudproxy@sucuri.net">cloudproxy@sucuri.net</a></p></div></body></html>"""

IMPERVA = b"""<html style="height:100%"><head><META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW">
<meta name="format-detection" content="telephone=no"><meta name="viewport" content="initial-scale=1.0">
<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1"></head><body style="margin:0px;height:100%">
<iframe id="main-iframe" src="/_Incapsula_Resource?CWUDNSAI=23&xinfo=5-12345-0%200NNN&incident_id=123-456&edet=15"
frameborder=0 width="100%" height="100%" marginheight="0px" marginwidth="0px">Request unsuccessful. Incapsula incident
ID: 123000456789-987654321</iframe></body></html>"""

RECAPTCHA_ONLY = b"""<!DOCTYPE html><html><head><title>Security check</title>
<script src="https://www.google.com/recaptcha/api.js" async defer></script></head><body>
<form method="post" action="/verify"><p>Our systems have detected unusual traffic from your computer network.
Please verify you are human.</p><div class="g-recaptcha" data-sitekey="6LdAbcdEAAAAAFakeKeyForTests"></div>
<button type="submit">Continue</button></form></body></html>"""

HCAPTCHA_403 = b"""<!DOCTYPE html><html><head><title>One more step</title>
<script src="https://js.hcaptcha.com/1/api.js" async defer></script></head><body><main>
<h1>One more step</h1><p>Please complete the security check to access news.example.org</p>
<form action="/challenge" method="POST"><div class="h-captcha" data-sitekey="10000000-ffff-ffff-ffff-000000000001"></div>
<input type="submit" value="Submit"></form></main></body></html>"""

BROWSER_CHECK = b"""<!DOCTYPE html><html><head><title>Checking your browser</title>
<script>setTimeout(function(){document.forms[0].submit()}, 5000);</script></head><body>
<h1>Checking your browser before accessing news.example.org.</h1><p>This process is automatic. Your browser will redirect
to your requested content shortly.</p><p>Please allow up to 5 seconds&hellip;</p><form method="get" action="/archives/1">
<input type="hidden" name="jschl_vc" value="abcdef"></form><p>DDoS protection by an anonymous proxy.</p></body></html>"""

_PARAGRAPH = (
    "<p>The city council met on Tuesday to discuss the new transport plan, which critics say ignores the needs of "
    "residents in the outer districts. Officials promised a public consultation before the summer recess.</p>\n"
)

ARTICLE_ABOUT_CAPTCHAS = (
    "<!DOCTYPE html><html><head><title>Why websites keep asking if you are a robot | Example News</title>"
    '<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script></head><body><article>'
    "<h1>Why websites keep asking if you are a robot</h1><time datetime=\"2024-05-02\">2 May 2024</time>"
    "<p>Anyone who has been asked to verify you are human by clicking on traffic lights knows the captcha. "
    "Services such as reCAPTCHA, hCaptcha and Cloudflare's \"Just a moment...\" page, which says it is checking "
    "your browser, are now a daily sight; some ask you to press &amp; hold a button.</p>\n"
    + _PARAGRAPH * 8
    + '<form><div class="g-recaptcha" data-sitekey="6LdAbcd"></div></form>'
    "<script src=\"https://www.google.com/recaptcha/api.js\"></script></article></body></html>"
).encode()

NGINX_403 = b"""<html>
<head><title>403 Forbidden</title></head>
<body>
<center><h1>403 Forbidden</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""

CONTACT_PAGE_WITH_RECAPTCHA = b"""<!DOCTYPE html><html><head><title>Contact us | Example News</title>
<script src="https://www.google.com/recaptcha/api.js"></script></head><body><h1>Contact us</h1>
<form method="post"><input name="email"><textarea name="message"></textarea>
<div class="g-recaptcha" data-sitekey="6LdAbcd"></div><button>Send</button></form></body></html>"""
