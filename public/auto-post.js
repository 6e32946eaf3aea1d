// Submits a SAML hand-off form at once; without JavaScript the person presses Continue.
document.getElementById("auto-post")?.submit();
