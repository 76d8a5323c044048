import KdumpCommandLine
import Testing

@Suite struct GetoptParserTests {
    let options = [
        GetoptOption(long: "name", short: "n", takesValue: true),
        GetoptOption(long: "verbose", short: "v", takesValue: false),
    ]

    @Test func tokenizesLikeGetoptLong() throws {
        #expect(
            try GetoptParser.tokenize(
                ["-vnx", "a", "--name", "y", "--verbose", "--name=z", "--", "-v"], options: options) == [
                    .option("verbose", value: nil, spelled: "-v"), .option("name", value: "x", spelled: "-n"),
                    .operand("a"),
                    .option("name", value: "y", spelled: "--name"),
                    .option("verbose", value: nil, spelled: "--verbose"),
                    .option("name", value: "z", spelled: "--name"), .operand("-v"),
                ])
    }

    /// The parser works on UTF-8 bytes: a value keeps every scalar, and a letter that is not
    /// ASCII is quoted whole.
    @Test func valuesAndLettersBeyondASCIIStayWhole() throws {
        #expect(
            try GetoptParser.tokenize(["-vné", "--name=ü=1", "é"], options: options) == [
                .option("verbose", value: nil, spelled: "-v"), .option("name", value: "é", spelled: "-n"),
                .option("name", value: "ü=1", spelled: "--name"), .operand("é"),
            ])
        #expect(throws: GetoptError("invalid option -- 'é'")) { try GetoptParser.tokenize(["-vé"], options: options) }
        #expect(throws: GetoptError("unrecognized option '--nämé'")) {
            try GetoptParser.tokenize(["--nämé=x"], options: options)
        }
    }

    @Test(arguments: [["-x"], ["--nam"], ["-n"], ["--name"], ["--verbose=1"]])
    func rejects(arguments: [String]) {
        #expect(throws: GetoptError.self) { try GetoptParser.tokenize(arguments, options: options) }
    }
}
