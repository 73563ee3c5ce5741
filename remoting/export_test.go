package remoting

// StartRemote exposes start to the external tests.
var StartRemote = start
