// Reply codes of RFC 959 and its extensions, with their standard texts.

package ftp

// Reply codes (RFC 959 section 4.2.2, RFC 2228, RFC 2428, RFC 3659).
const (
	StatusRestartMarker         = 110
	StatusReadyMinute           = 120
	StatusAlreadyOpen           = 125
	StatusAboutToSend           = 150
	StatusCommandOK             = 200
	StatusCommandNotImplemented = 202
	StatusSystem                = 211
	StatusDirectory             = 212
	StatusFile                  = 213
	StatusHelp                  = 214
	StatusName                  = 215
	StatusReady                 = 220
	StatusClosing               = 221
	StatusDataConnectionOpen    = 225
	StatusClosingDataConnection = 226
	StatusPassiveMode           = 227
	StatusLongPassiveMode       = 228
	StatusExtendedPassiveMode   = 229
	StatusLoggedIn              = 230
	StatusLoggedOut             = 231
	StatusLogoutAck             = 232
	StatusAuthOK                = 234
	StatusRequestedFileActionOK = 250
	StatusPathCreated           = 257

	StatusUserOK             = 331
	StatusLoginNeedAccount   = 332
	StatusRequestFilePending = 350

	StatusNotAvailable             = 421
	StatusCanNotOpenDataConnection = 425
	StatusTransferAborted          = 426
	StatusInvalidCredentials       = 430
	StatusHostUnavailable          = 434
	StatusFileActionIgnored        = 450
	StatusActionAborted            = 451
	StatusInsufficientStorage      = 452

	StatusBadCommand              = 500
	StatusBadArguments            = 501
	StatusNotImplemented          = 502
	StatusBadSequence             = 503
	StatusParameterNotImplemented = 504
	StatusNotLoggedIn             = 530
	StatusNeedAccountToStore      = 532
	StatusPolicyRequiresSSL       = 534
	StatusFileUnavailable         = 550
	StatusPageTypeUnknown         = 551
	StatusExceededStorage         = 552
	StatusBadFileName             = 553
)

var statusText = map[int]string{
	StatusRestartMarker:         "Restart marker reply.",
	StatusReadyMinute:           "Service ready in a few minutes.",
	StatusAlreadyOpen:           "Data connection already open; transfer starting.",
	StatusAboutToSend:           "File status okay; about to open data connection.",
	StatusCommandOK:             "Command okay.",
	StatusCommandNotImplemented: "Command not implemented, superfluous at this site.",
	StatusSystem:                "System status, or system help reply.",
	StatusDirectory:             "Directory status.",
	StatusFile:                  "File status.",
	StatusHelp:                  "Help message.",
	StatusName:                  "NAME system type.",
	StatusReady:                 "Service ready for new user.",
	StatusClosing:               "Service closing control connection.",
	StatusDataConnectionOpen:    "Data connection open; no transfer in progress.",
	StatusClosingDataConnection: "Closing data connection. Requested file action successful.",
	StatusPassiveMode:           "Entering Passive Mode.",
	StatusLongPassiveMode:       "Entering Long Passive Mode.",
	StatusExtendedPassiveMode:   "Entering Extended Passive Mode.",
	StatusLoggedIn:              "User logged in, proceed.",
	StatusLoggedOut:             "User logged out; service terminated.",
	StatusLogoutAck:             "Logout command noted, will complete when transfer done.",
	StatusAuthOK:                "AUTH command OK; security data exchange follows.",
	StatusRequestedFileActionOK: "Requested file action okay, completed.",
	StatusPathCreated:           "Pathname created.",

	StatusUserOK:             "User name okay, need password.",
	StatusLoginNeedAccount:   "Need account for login.",
	StatusRequestFilePending: "Requested file action pending further information.",

	StatusNotAvailable:             "Service not available, closing control connection.",
	StatusCanNotOpenDataConnection: "Can't open data connection.",
	StatusTransferAborted:          "Connection closed; transfer aborted.",
	StatusInvalidCredentials:       "Invalid username or password.",
	StatusHostUnavailable:          "Requested host unavailable.",
	StatusFileActionIgnored:        "Requested file action not taken.",
	StatusActionAborted:            "Requested action aborted. Local error in processing.",
	StatusInsufficientStorage:      "Requested action not taken. Insufficient storage space in system.",

	StatusBadCommand:              "Syntax error, command unrecognized.",
	StatusBadArguments:            "Syntax error in parameters or arguments.",
	StatusNotImplemented:          "Command not implemented.",
	StatusBadSequence:             "Bad sequence of commands.",
	StatusParameterNotImplemented: "Command not implemented for that parameter.",
	StatusNotLoggedIn:             "Not logged in.",
	StatusNeedAccountToStore:      "Need account for storing files.",
	StatusPolicyRequiresSSL:       "Request denied for policy reasons.",
	StatusFileUnavailable:         "Requested action not taken. File unavailable.",
	StatusPageTypeUnknown:         "Requested action aborted. Page type unknown.",
	StatusExceededStorage:         "Requested file action aborted. Exceeded storage allocation.",
	StatusBadFileName:             "Requested action not taken. File name not allowed.",
}

// StatusText returns the RFC's text for a reply code, or "" if the code is
// unknown.
func StatusText(code int) string { return statusText[code] }
